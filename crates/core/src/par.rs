//! Work spread over threads: natively over scoped threads, in the browser (one thread
//! per worker) in turn. Shared by forecasting and planning, so it belongs to neither.

/// Maps `f` over `items` on up to `threads` threads (natively; in the browser, where a
/// worker is one thread, in turn), keeping the order. Work is dealt out round-robin
/// so that long and short series spread evenly.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    if threads > 1 && items.len() > 1 {
        let threads = threads.min(items.len());
        let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let f = &f;
                    s.spawn(move || {
                        items
                            .iter()
                            .enumerate()
                            .skip(t)
                            .step_by(threads)
                            .map(|(i, x)| (i, f(x)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        let mut all: Vec<(usize, R)> = parts.drain(..).flatten().collect();
        if all.len() == items.len() {
            all.sort_by_key(|(i, _)| *i);
            return all.into_iter().map(|(_, r)| r).collect();
        }
        // A thread panicked: fall through and do the work here, where the panic shows.
    }
    let _ = threads;
    items.iter().map(f).collect()
}
