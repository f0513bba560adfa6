//! Public product pages kept in memory for a moment (PRODUCT.md C4, browse target): a page is
//! built from the store once and then served as bytes until a product changes here, or for at most
//! [`PageCache::TTL`] after a change made through another replica.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use actix_web::web::Bytes;

/// The cached pages and the generation they belong to; a write starts a new generation.
#[derive(Default)]
pub struct PageCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    pages: HashMap<String, (Instant, Bytes)>,
}

impl PageCache {
    /// How stale a page may be after a write through another replica.
    pub const TTL: Duration = Duration::from_secs(1);
    /// Distinct queries kept; beyond, the cache starts over (a scan of odd queries cannot grow it).
    const MAX_PAGES: usize = 1024;

    /// The page for `query` if fresh, else the generation to hand to [`put`](Self::put).
    pub fn get(&self, query: &str) -> Result<Bytes, u64> {
        let inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match inner.pages.get(query) {
            Some((built, page)) if built.elapsed() < Self::TTL => Ok(page.clone()),
            _ => Err(inner.generation),
        }
    }

    /// Keeps a page read during `generation`, unless a write has happened since.
    pub fn put(&self, query: &str, generation: u64, page: Bytes) {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if inner.generation != generation {
            return;
        }
        if inner.pages.len() >= Self::MAX_PAGES {
            inner.pages.clear();
        }
        inner.pages.insert(query.to_owned(), (Instant::now(), page));
    }

    /// Forgets every page: call after a product write commits.
    pub fn invalidate(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.generation += 1;
        inner.pages.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c4_a_page_read_before_a_write_is_not_kept_after_it() {
        let cache = PageCache::default();
        let generation = cache.get("limit=20").unwrap_err();
        cache.invalidate(); // a write commits while the page is being built
        cache.put("limit=20", generation, Bytes::from_static(b"old"));
        let fresh = cache.get("limit=20").unwrap_err();
        cache.put("limit=20", fresh, Bytes::from_static(b"new"));
        assert_eq!(cache.get("limit=20").unwrap(), Bytes::from_static(b"new"));
        cache.invalidate();
        assert!(cache.get("limit=20").is_err());
    }
}
