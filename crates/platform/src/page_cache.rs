//! Public list pages kept in memory for a moment (PRODUCT.md browse target): a page is built from
//! the store once and then served as bytes until a write here invalidates it, or for at most
//! [`PageCache::TTL`] (a write through another replica, or changes a service does not invalidate
//! for, such as a group's tally).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use actix_web::{HttpResponse, web::Bytes};

/// A page as its answer.
pub fn json_page(page: Bytes) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(page)
}

/// The cached pages and the generation they belong to; a write starts a new generation.
#[derive(Default)]
pub struct PageCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    pages: HashMap<String, (Instant, Bytes)>,
    bytes: usize,
}

impl PageCache {
    /// How stale a page may be.
    pub const TTL: Duration = Duration::from_secs(1);
    /// Bytes of pages kept; beyond, the cache starts over, so that a scan of odd queries cannot
    /// grow the process (PRODUCT.md footprint target).
    const MAX_BYTES: usize = 2 * 1024 * 1024;

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
        if inner.bytes + page.len() > Self::MAX_BYTES {
            inner.pages.clear();
            inner.bytes = 0;
        }
        inner.bytes += page.len();
        if let Some((_, replaced)) = inner.pages.insert(query.to_owned(), (Instant::now(), page)) {
            inner.bytes -= replaced.len();
        }
    }

    /// Forgets every page: call after a write that changes the list commits.
    pub fn invalidate(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.generation += 1;
        inner.pages.clear();
        inner.bytes = 0;
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

    #[test]
    fn c4_the_cache_never_holds_more_than_its_bound() {
        let cache = PageCache::default();
        let page = Bytes::from(vec![b'x'; 100 * 1024]);
        for n in 0..100 {
            let generation = cache.get(&n.to_string()).unwrap_err();
            cache.put(&n.to_string(), generation, page.clone());
        }
        let inner = cache.inner.lock().unwrap();
        assert!(inner.bytes <= PageCache::MAX_BYTES);
        assert_eq!(inner.bytes, inner.pages.values().map(|(_, p)| p.len()).sum::<usize>());
    }
}
