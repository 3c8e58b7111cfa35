//! Values computed from the whole roster, kept until the registry's coverage stamp moves.
//!
//! Why: the coverage report (and the public page that shows it) is read far more often than
//! the roster changes, and computing it reads every enterprise of the year. The registry keeps
//! a stamp that its own triggers move on every change to what the report reads (migration 7),
//! so a value computed after reading stamp `s` stays right for as long as the stamp is `s` —
//! in this process and in any other `serve` process on the same database.
//!
//! A caller reads the stamp first, then asks here; a miss computes once (other callers of the
//! same cache wait for it instead of all reading the roster at once) and is kept only if no
//! newer stamp has been seen meanwhile. Keys are built from parsed parameters, never from raw
//! input, and at most [`MAX_KEYS`] are kept per stamp.

use std::collections::HashMap;
use std::future::Future;

/// Most keys kept for one stamp (years × languages × orders × days is far below it).
pub const MAX_KEYS: usize = 256;

struct Entries<V> {
    stamp: i64,
    values: HashMap<String, V>,
}

/// A cache whose entries all belong to one stamp.
pub struct StampedCache<V> {
    entries: std::sync::Mutex<Entries<V>>,
    filling: tokio::sync::Mutex<()>,
}

impl<V> Default for StampedCache<V> {
    fn default() -> Self {
        Self {
            entries: std::sync::Mutex::new(Entries {
                stamp: i64::MIN,
                values: HashMap::new(),
            }),
            filling: tokio::sync::Mutex::new(()),
        }
    }
}

impl<V> std::fmt::Debug for StampedCache<V> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("StampedCache")
    }
}

impl<V: Clone> StampedCache<V> {
    fn lookup(&self, stamp: i64, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        if entries.stamp == stamp {
            entries.values.get(key).cloned()
        } else {
            None
        }
    }

    fn keep(&self, stamp: i64, key: &str, value: &V) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if stamp > entries.stamp {
            entries.stamp = stamp;
            entries.values.clear();
        }
        if stamp == entries.stamp && entries.values.len() < MAX_KEYS {
            entries.values.insert(key.to_owned(), value.clone());
        }
    }

    /// The value of `key` computed at `stamp`: kept, or computed now by `compute` (which must
    /// read the registry only after the caller read `stamp`).
    pub async fn get_or_try_compute<E, F, Fut>(
        &self,
        stamp: i64,
        key: &str,
        compute: F,
    ) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.lookup(stamp, key) {
            return Ok(value);
        }
        let _filling = self.filling.lock().await;
        if let Some(value) = self.lookup(stamp, key) {
            return Ok(value);
        }
        let value = compute().await?;
        self.keep(stamp, key, &value);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    async fn get(
        cache: &StampedCache<String>,
        stamp: i64,
        key: &str,
        calls: &AtomicUsize,
    ) -> String {
        cache
            .get_or_try_compute(stamp, key, || async {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(format!("{key}@{stamp}#{call}"))
            })
            .await
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_value_lives_as_long_as_its_stamp() {
        let cache = StampedCache::default();
        let calls = AtomicUsize::new(0);
        assert_eq!(get(&cache, 1, "a", &calls).await, "a@1#0");
        assert_eq!(get(&cache, 1, "a", &calls).await, "a@1#0");
        assert_eq!(get(&cache, 1, "b", &calls).await, "b@1#1");
        // The stamp moved: everything is computed again.
        assert_eq!(get(&cache, 2, "a", &calls).await, "a@2#2");
        assert_eq!(get(&cache, 2, "b", &calls).await, "b@2#3");
        // A caller that read an older stamp gets a fresh value but does not displace the new.
        assert_eq!(get(&cache, 1, "a", &calls).await, "a@1#4");
        assert_eq!(get(&cache, 2, "a", &calls).await, "a@2#2");
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn errors_are_not_kept_and_keys_are_bounded() {
        let cache: StampedCache<String> = StampedCache::default();
        let failed = cache
            .get_or_try_compute(1, "a", || async { Err::<String, _>("down") })
            .await;
        assert_eq!(failed, Err("down"));
        let calls = AtomicUsize::new(0);
        assert_eq!(get(&cache, 1, "a", &calls).await, "a@1#0");
        for key in 0..MAX_KEYS + 10 {
            get(&cache, 1, &key.to_string(), &calls).await;
        }
        let kept = cache
            .entries
            .lock()
            .map(|entries| entries.values.len())
            .ok();
        assert_eq!(kept, Some(MAX_KEYS));
    }

    #[tokio::test]
    async fn parallel_misses_compute_once() {
        let cache = std::sync::Arc::new(StampedCache::<String>::default());
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_try_compute(7, "report", || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok::<_, ()>("figures".to_owned())
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.ok(), Some(Ok("figures".to_owned())));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
