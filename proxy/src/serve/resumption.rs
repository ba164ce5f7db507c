//! The resumption policy: a session resumes only under the client CA bundle, verification
//! settings and CRLs that verified it, and only within `session_timeout`.
//!
//! rustls restores a resumed session's client chain without verifying it again. So every
//! stored session (session-ID cache entry or ticket) is stamped with the time it was made and
//! a binding, the first 8 bytes of SHA-256 over the CA bundle, the verification settings and
//! the CRLs (their bytes and the CRL policies); a session whose stamp is too old or whose
//! binding differs is not resumed: the client gets a full handshake and is verified against
//! the current bundle and CRLs. A reload that changes any of them therefore refuses every
//! earlier session and ticket (a revoked client cannot resume its way back in), while a reload
//! that only rotates the server certificate keeps them. With `crl_expired = "deny"` no session
//! resumes after the soonest nextUpdate of the CRLs either (a full handshake would be refused
//! then). The stores live in process memory only (kept across reloads, so a binding that did
//! not change keeps its sessions), so a restart starts with none; only tickets made under
//! shared keys ([`super::ticket_keys`]) outlive the process, and they carry the same stamp.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rustls::server::{ProducesTickets, StoresServerSessions};

/// 8 bytes of time and 8 of binding in front of each stored value.
const STAMP: usize = 16;

/// What a stored session is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub tag: [u8; 8],
    /// Seconds a session may be resumed for.
    pub timeout: i64,
    /// No session resumes at or after this Unix time (the soonest CRL nextUpdate when an
    /// expired CRL denies; `i64::MAX` otherwise).
    pub until: i64,
}

impl Binding {
    fn stamp(&self, value: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(STAMP + value.len());
        v.extend_from_slice(&mtlskit_inspect::Timestamp::now().0.to_be_bytes());
        v.extend_from_slice(&self.tag);
        v.extend_from_slice(value);
        v
    }

    fn check(&self, stored: &[u8]) -> Option<Vec<u8>> {
        let (time, rest) = stored.split_first_chunk::<8>()?;
        let (tag, value) = rest.split_first_chunk::<8>()?;
        let now = mtlskit_inspect::Timestamp::now().0;
        let age = now - i64::from_be_bytes(*time);
        (tag == &self.tag && (0..=self.timeout).contains(&age) && now < self.until)
            .then(|| value.to_vec())
    }
}

/// A session-ID store bounded in entries and in bytes (a session holds the client's chain,
/// so entries alone do not bound memory); the oldest entry goes first when it is full. One per
/// process, kept across reloads that keep its sizes.
#[derive(Debug)]
pub struct SessionStore {
    capacity: usize,
    max_bytes: usize,
    inner: Mutex<Entries>,
}

impl SessionStore {
    pub fn new(capacity: usize, max_bytes: usize) -> Arc<Self> {
        Arc::new(SessionStore {
            capacity,
            max_bytes,
            inner: Mutex::new(Entries::default()),
        })
    }

    /// Whether this store has these sizes.
    pub fn sized(&self, capacity: usize, max_bytes: usize) -> bool {
        self.capacity == capacity && self.max_bytes == max_bytes
    }
}

/// The session-ID cache of one config generation: the process's store, under its binding.
#[derive(Debug)]
pub struct BoundCache {
    binding: Binding,
    store: Arc<SessionStore>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Vec<u8>, Vec<u8>>,
    order: VecDeque<Vec<u8>>,
    /// Keys and stamped values held, in bytes.
    bytes: usize,
}

impl Entries {
    fn remove(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        let v = self.map.remove(key)?;
        self.bytes -= key.len() + v.len();
        Some(v)
    }
}

impl BoundCache {
    pub fn new(binding: Binding, store: Arc<SessionStore>) -> Arc<Self> {
        Arc::new(BoundCache { binding, store })
    }
}

impl StoresServerSessions for BoundCache {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let value = self.binding.stamp(&value);
        let size = key.len() + value.len();
        let store = &self.store;
        if size > store.max_bytes {
            return false;
        }
        let Ok(mut e) = store.inner.lock() else {
            return false;
        };
        if e.remove(&key).is_some() {
            e.order.retain(|k| *k != key);
        }
        while e.map.len() >= store.capacity || e.bytes + size > store.max_bytes {
            match e.order.pop_front() {
                Some(old) => {
                    e.remove(&old);
                }
                None => break,
            }
        }
        e.bytes += size;
        e.map.insert(key.clone(), value);
        e.order.push_back(key);
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let e = self.store.inner.lock().ok()?;
        self.binding.check(e.map.get(key)?)
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut e = self.store.inner.lock().ok()?;
        let v = e.remove(key)?;
        e.order.retain(|k| k.as_slice() != key);
        self.binding.check(&v)
    }

    fn can_cache(&self) -> bool {
        self.store.capacity > 0
    }
}

/// Tickets carrying the stamp inside their encryption.
#[derive(Debug)]
pub struct BoundTicketer {
    binding: Binding,
    inner: Arc<dyn ProducesTickets>,
}

impl BoundTicketer {
    pub fn new(binding: Binding, inner: Arc<dyn ProducesTickets>) -> Arc<Self> {
        Arc::new(BoundTicketer { binding, inner })
    }
}

impl ProducesTickets for BoundTicketer {
    fn enabled(&self) -> bool {
        self.inner.enabled()
    }

    fn lifetime(&self) -> u32 {
        u32::try_from(self.binding.timeout)
            .unwrap_or(u32::MAX)
            .min(self.inner.lifetime())
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        self.inner.encrypt(&self.binding.stamp(plain))
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        self.binding.check(&self.inner.decrypt(cipher)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_binding_or_old_is_refused() {
        let a = Binding {
            tag: [1; 8],
            timeout: 300,
            until: i64::MAX,
        };
        let b = Binding { tag: [2; 8], ..a };
        let stored = a.stamp(b"session");
        assert_eq!(a.check(&stored).as_deref(), Some(&b"session"[..]));
        assert_eq!(b.check(&stored), None);
        let mut old = stored.clone();
        old[..8].copy_from_slice(&(mtlskit_inspect::Timestamp::now().0 - 301).to_be_bytes());
        assert_eq!(a.check(&old), None);
        // Past `until` (a CRL's nextUpdate), nothing resumes.
        let expired = Binding {
            until: mtlskit_inspect::Timestamp::now().0,
            ..a
        };
        assert_eq!(expired.check(&stored), None);
        let cache = BoundCache::new(a, SessionStore::new(2, 1 << 20));
        for k in [1u8, 2, 3] {
            cache.put(vec![k], vec![k]);
        }
        assert_eq!(cache.get(&[1]), None);
        assert_eq!(cache.take(&[3]), Some(vec![3]));
    }

    #[test]
    fn the_cache_is_bounded_in_bytes() {
        let a = Binding {
            tag: [1; 8],
            timeout: 300,
            until: i64::MAX,
        };
        // Room for three 1000-byte sessions (1 + 16 + 1000 bytes each with key and stamp).
        let cache = BoundCache::new(a, SessionStore::new(1000, 3 * 1017));
        for k in 0..10u8 {
            assert!(cache.put(vec![k], vec![k; 1000]));
            cache.put(vec![k], vec![k; 1000]); // replacing an entry does not count twice
        }
        let held: Vec<u8> = (0..10u8).filter(|k| cache.get(&[*k]).is_some()).collect();
        assert_eq!(held, [7, 8, 9]);
        assert_eq!(
            cache.store.inner.lock().map(|e| e.bytes).unwrap_or(0),
            3 * 1017
        );
        // A session larger than the whole budget is not stored.
        assert!(!cache.put(vec![99], vec![0; 4000]));
    }
}
