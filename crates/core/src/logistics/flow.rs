//! Marginal values from an optimal network flow. The LP solver (microlp through
//! good_lp) gives no duals, and duals are not unique at degenerate optima anyway; what
//! a merchant asks — "what does one more unit of room at B save?" — is the cost of the
//! cheapest way to use that unit, which is a shortest path in the residual graph of the
//! optimal flow. At an optimum the residual graph has no negative cycle, so
//! Bellman-Ford (queue-based) gives exact values for whole units.

/// A residual graph: arcs that can carry one more unit, with their cost.
#[derive(Debug, Default)]
pub(crate) struct Residual {
    nodes: usize,
    /// Reverse adjacency: for each node, the arcs that end there as (from, cost).
    into: Vec<Vec<(usize, f64)>>,
}

impl Residual {
    pub(crate) fn new(nodes: usize) -> Residual {
        Residual {
            nodes,
            into: vec![Vec::new(); nodes],
        }
    }

    /// An arc `from → to` carrying flow `flow` of `capacity` (None: unbounded) at
    /// `cost` per unit: it adds the forward residual arc when there is room and the
    /// backward one when there is flow.
    pub(crate) fn arc(
        &mut self,
        from: usize,
        to: usize,
        cost: f64,
        flow: f64,
        capacity: Option<f64>,
    ) {
        if capacity.is_none_or(|c| flow < c - 1e-9) {
            self.into[to].push((from, cost));
        }
        if flow > 1e-9 {
            self.into[from].push((to, -cost));
        }
    }

    /// The cost of the cheapest residual path from every node to `target` (infinite
    /// where there is none), or None if a negative cycle shows the flow was not optimal.
    pub(crate) fn distances_to(&self, target: usize) -> Option<Vec<f64>> {
        let mut dist = vec![f64::INFINITY; self.nodes];
        let mut in_queue = vec![false; self.nodes];
        let mut relaxed = vec![0usize; self.nodes];
        let mut queue = std::collections::VecDeque::new();
        dist[target] = 0.0;
        queue.push_back(target);
        in_queue[target] = true;
        while let Some(v) = queue.pop_front() {
            in_queue[v] = false;
            for &(u, c) in &self.into[v] {
                let d = dist[v] + c;
                // A relative tolerance keeps rounding in the costs from cycling.
                if d < dist[u] - 1e-9 * (1.0 + d.abs()) {
                    dist[u] = d;
                    relaxed[u] += 1;
                    if relaxed[u] > self.nodes {
                        return None;
                    }
                    if !in_queue[u] {
                        in_queue[u] = true;
                        queue.push_back(u);
                    }
                }
            }
        }
        Some(dist)
    }
}
