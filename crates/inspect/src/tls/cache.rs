//! Certificates decoded before, found again by their DER.
//!
//! Every connection of a capture carries the certificate chains of the same few clients and
//! servers: decoding each certificate again (X.509 parsing, fingerprints, extension texts,
//! findings) was more than half of the time of `mtlskit inspect --summary`. The cache keeps
//! the last [`CertificateCache::CAPACITY`] distinct certificates a decoder saw, each with what
//! decoding it gave (its report body, findings, and field tree when trees are kept), and drops
//! the least recently used one for a new one: memory is bounded whatever the capture.
//!
//! What it gives back is exactly what decoding gives (the same function, the same `now`); a
//! certificate is recognised by its whole DER, compared byte for byte after a 64-bit hash.

#[cfg(feature = "std")]
use alloc::vec::Vec;

#[cfg(feature = "std")]
use crate::error::Error;
#[cfg(feature = "std")]
use crate::time::Timestamp;
#[cfg(feature = "std")]
use crate::x509;

/// The certificates a decoder decoded last, by their DER. See the module documentation.
#[derive(Debug, Default)]
pub struct CertificateCache {
    #[cfg(feature = "std")]
    entries: Vec<Entry>,
    /// The `now` the entries' findings were made with.
    #[cfg(feature = "std")]
    now: Option<Timestamp>,
    /// Bumped at each use: the entry with the smallest `used` is the least recently used.
    #[cfg(feature = "std")]
    tick: u64,
}

#[cfg(feature = "std")]
#[derive(Debug)]
struct Entry {
    hash: u64,
    der: Vec<u8>,
    /// Whether `decoded` holds the field tree.
    trees: bool,
    decoded: Result<x509::Decoded, Error>,
    used: u64,
}

impl CertificateCache {
    /// Distinct certificates kept: a few clients' and servers' chains (a certificate with its
    /// tree is about 30 KB, without it about 3 KB).
    pub const CAPACITY: usize = 64;

    /// What [`x509::decode_certificate`] gives for `der` (without the field tree unless
    /// `trees`), from the cache when this certificate was decoded before.
    #[cfg(feature = "std")]
    pub(crate) fn decode(
        &mut self,
        der: &[u8],
        now: Option<Timestamp>,
        trees: bool,
    ) -> Result<x509::Decoded, Error> {
        if self.now != now {
            self.entries.clear();
            self.now = now;
        }
        self.tick += 1;
        let hash = fingerprint(der);
        let found = self
            .entries
            .iter_mut()
            .find(|e| e.hash == hash && e.der == der && (e.trees || !trees));
        if let Some(e) = found {
            e.used = self.tick;
            return match &e.decoded {
                Ok(d) => Ok(x509::Decoded {
                    body: d.body.clone(),
                    tree: if trees { d.tree.clone() } else { Vec::new() },
                    findings: d.findings.clone(),
                }),
                Err(e) => Err(e.clone()),
            };
        }
        let decoded = x509::certificate::decode_with(der, now, trees);
        // A certificate seen before without its tree is decoded again with it: replace it.
        self.entries.retain(|e| !(e.hash == hash && e.der == der));
        if self.entries.len() >= Self::CAPACITY {
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.used)
                .map(|(i, _)| i);
            if let Some(i) = oldest {
                self.entries.swap_remove(i);
            }
        }
        self.entries.push(Entry {
            hash,
            der: der.to_vec(),
            trees,
            decoded: decoded.clone(),
            used: self.tick,
        });
        decoded
    }

    /// Certificates held now.
    #[cfg(feature = "std")]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Certificates held now.
    #[cfg(not(feature = "std"))]
    pub fn len(&self) -> usize {
        0
    }

    /// Whether it holds no certificate.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A 64-bit hash of the DER (FxHash's mixing, eight bytes at a time): picks the candidates
/// that are then compared byte for byte.
#[cfg(feature = "std")]
fn fingerprint(der: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = der.len() as u64;
    let mut words = der.chunks_exact(8);
    for w in &mut words {
        let w = <[u8; 8]>::try_from(w).unwrap_or_default();
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    for &b in words.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn bounded_and_the_same_as_decoding() {
        let pem = include_str!("../../../../testdata/web/pki/ca.pem");
        let der = crate::pem::blocks(pem.as_bytes())
            .into_iter()
            .find_map(Result::ok)
            .map(|b| b.der)
            .unwrap_or_default();
        assert!(!der.is_empty());
        let now = Some(Timestamp(1_735_689_600));
        let mut cache = CertificateCache::default();
        let direct = x509::decode_certificate(&der, now);
        for trees in [false, true, true, false] {
            let got = cache.decode(&der, now, trees);
            let want = direct.as_ref().map(|d| x509::Decoded {
                tree: if trees { d.tree.clone() } else { Vec::new() },
                ..d.clone()
            });
            assert_eq!(format!("{got:?}"), format!("{want:?}"));
        }
        assert_eq!(cache.len(), 1);
        // Distinct byte strings (not certificates: cached as errors) fill it to its bound.
        for i in 0..(CertificateCache::CAPACITY + 10) as u32 {
            let _ = cache.decode(&i.to_be_bytes(), now, false);
        }
        assert_eq!(cache.len(), CertificateCache::CAPACITY);
    }
}
