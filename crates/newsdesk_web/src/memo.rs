//! What a static export makes once and shares among its pages: each
//! article's feed item (every feed it appears in) and its rail card (every
//! rail that shows it). An export asks for every page, so most of an
//! article's pages need the same parts; a server alone keeps whole pages
//! instead and leaves these empty.

use newsdesk_core::Id;
use std::collections::HashMap;

/// Parts made for one generation of the page cache, by article. A change
/// that reaches the page cache starts a new generation and the parts
/// afresh; a build of an older generation (a change came while it read)
/// neither takes nor leaves any, so no page is made of parts older than
/// what it read itself. `newsdesk export static` follows no changes: its
/// generation stays, and each part shows the site as it was when the part
/// was first made.
#[derive(Debug)]
pub struct Shared<V> {
    generation: u64,
    parts: HashMap<Id, V>,
}

impl<V> Default for Shared<V> {
    fn default() -> Self {
        Shared { generation: 0, parts: HashMap::new() }
    }
}

impl<V: Clone> Shared<V> {
    /// Drops every part (the export is over).
    pub fn clear(&mut self) {
        self.parts = HashMap::new();
    }

    /// Whether no part is held.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// How many parts are held.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether the parts are of `generation`, once a newer one has
    /// started them afresh.
    fn at(&mut self, generation: u64) -> bool {
        if self.generation < generation {
            self.parts.clear();
            self.generation = generation;
        }
        self.generation == generation
    }

    /// The parts of `ids` made for `generation`.
    pub fn find(&mut self, generation: u64, ids: &[Id]) -> HashMap<Id, V> {
        if !self.at(generation) {
            return HashMap::new();
        }
        ids.iter().filter_map(|id| Some((*id, self.parts.get(id)?.clone()))).collect()
    }

    /// Keeps `made` for the other pages of `generation`.
    pub fn keep(&mut self, generation: u64, made: &[(Id, V)]) {
        if self.at(generation) {
            for (id, part) in made {
                self.parts.entry(*id).or_insert_with(|| part.clone());
            }
        }
    }
}

/// Locks `m`, a poisoned lock too: a panic elsewhere leaves at worst a
/// part missing, which is made again.
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_hold_for_one_generation() {
        let mut s: Shared<&str> = Shared::default();
        s.keep(1, &[(7, "a"), (8, "b")]);
        assert_eq!(s.find(1, &[7, 9]), HashMap::from([(7, "a")]));
        // A build that read before a change neither takes nor leaves parts.
        s.keep(2, &[(9, "c")]);
        assert!(s.find(1, &[7, 8, 9]).is_empty());
        s.keep(1, &[(7, "stale")]);
        assert_eq!(s.find(2, &[7, 9]), HashMap::from([(9, "c")]));
        // The first part made for an article stays.
        s.keep(2, &[(9, "d")]);
        assert_eq!(s.find(2, &[9]), HashMap::from([(9, "c")]));
        s.clear();
        assert!(s.is_empty());
    }
}
