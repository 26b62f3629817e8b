//! What went wrong with what the browser keeps for the merchant — a save the browser
//! refused (quota, private mode), saved bytes this version cannot read — shown above
//! every page until dismissed, so that no such failure is only a console line.
//!
//! Unreadable saved bytes are copied under [`QUARANTINE`] + their key before anything
//! can overwrite them, and offered for download from the notice.

use std::sync::Arc;

use leptos::prelude::*;

use super::storage;

/// IndexedDB key prefix under which unreadable saved bytes are kept.
pub const QUARANTINE: &str = "unreadable:";

/// One notice: its text, and bytes the merchant can download (file name, bytes).
#[derive(Clone, Debug)]
pub struct Notice {
    id: u64,
    text: String,
    download: Option<(String, Arc<Vec<u8>>)>,
}

/// The app's notices, shared by every page through `provide_context`.
#[derive(Clone, Copy)]
pub struct Notices(RwSignal<Vec<Notice>>);

impl Notices {
    /// An empty list (the app makes one at its root).
    pub fn new() -> Self {
        Notices(RwSignal::new(Vec::new()))
    }

    /// The app's list, or a fresh one where there is no app around (a page mounted alone
    /// in a test).
    pub fn get() -> Self {
        use_context::<Notices>().unwrap_or_else(Notices::new)
    }

    /// Adds a notice (the same text twice is shown once).
    pub fn push(self, text: String, download: Option<(String, Arc<Vec<u8>>)>) {
        self.0.try_update(|list| {
            if list.iter().all(|n| n.text != text) {
                let id = list.iter().map(|n| n.id + 1).max().unwrap_or(0);
                list.push(Notice { id, text, download });
            }
        });
    }

    /// Saves `bytes` under `key` in the background; a failure becomes a notice naming
    /// `what` was not kept.
    pub fn save(self, key: String, bytes: Vec<u8>, what: &'static str) {
        leptos::task::spawn_local(async move {
            if let Err(e) = storage::save_key(&key, &bytes).await {
                self.save_failed(what, &e);
            }
        });
    }

    /// The notice for a save of `what` that failed with `e`.
    pub fn save_failed(self, what: &str, e: &wasm_bindgen::JsValue) {
        self.push(
            format!(
                "This browser did not keep {what}: {}. It is still here in this tab; it will be lost when the tab closes unless a later save succeeds (free some space for this site, or leave private browsing).",
                describe(e)
            ),
            None,
        );
    }

    /// Keeps saved bytes under `key` that could not be read (`why`), and says so with
    /// the bytes offered for download.
    pub fn unreadable(self, what: &str, key: &str, bytes: Vec<u8>, why: &str) {
        let bytes = Arc::new(bytes);
        let file = format!("supplycast-saved-{}.bin", key.replace([':', '/'], "-"));
        self.push(
            format!(
                "The saved {what} could not be read ({why}). A copy is kept in this browser and can be downloaded here; the app goes on without it."
            ),
            Some((file, bytes.clone())),
        );
        let key = format!("{QUARANTINE}{key}");
        leptos::task::spawn_local(async move {
            if let Err(e) = storage::save_key(&key, &bytes).await {
                self.save_failed("the copy of the unreadable saved data", &e);
            }
        });
    }
}

impl Default for Notices {
    fn default() -> Self {
        Notices::new()
    }
}

/// A browser error in words: a DOMException's name and message, or its text.
fn describe(e: &wasm_bindgen::JsValue) -> String {
    use wasm_bindgen::JsCast;
    if let Some(d) = e.dyn_ref::<web_sys::DomException>() {
        return format!("{} ({})", d.name(), d.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// The notices above the pages, each with its download (if any) and a dismiss button.
#[component]
pub fn NoticeBar(
    /// The app's notices.
    notices: Notices,
) -> impl IntoView {
    view! {
        <div class="notices" role="alert" data-testid="notices">
            {move || {
                notices
                    .0
                    .get()
                    .into_iter()
                    .map(|n| {
                        let id = n.id;
                        view! {
                            <p class="notice" data-testid="notice">
                                {n.text.clone()}
                                {n.download.clone().map(|(file, bytes)| view! {
                                    " "
                                    <button class="secondary" data-testid="notice-download" on:click=move |_| {
                                        let _ = super::forecast_page::download_bytes(&file, &bytes);
                                    }>"Download it"</button>
                                })}
                                " "
                                <button class="secondary" data-testid="notice-dismiss" on:click=move |_| {
                                    notices.0.update(|l| l.retain(|x| x.id != id));
                                }>"Dismiss"</button>
                            </p>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}
