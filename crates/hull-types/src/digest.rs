//! Content digests (`sha256:<64 hex>`), validated when parsed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A content digest in the OCI form `sha256:<64 lowercase hex>`.
///
/// Only SHA-256 is accepted: it is what every registry, `docker save` and OCI layout use for
/// blobs and diff_ids, and refusing the rest keeps cache keys unambiguous. The value is
/// validated once, here, so code holding a `Digest` never re-checks it and never builds a
/// file path from unchecked bytes of an image.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    hex: String,
}

/// Why a string is not a [`Digest`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    #[error("digest {0:?} has no `algorithm:` prefix")]
    /// No `algorithm:` prefix.
    NoAlgorithm(String),
    #[error("digest algorithm {0:?} is not supported (only sha256)")]
    /// An algorithm other than sha256.
    Algorithm(String),
    #[error("digest {0:?} is not 64 lowercase hex characters")]
    /// Not 64 lowercase hex characters.
    Encoding(String),
}

impl Digest {
    /// Builds a digest from the 32 raw bytes of a SHA-256 sum.
    pub fn from_sha256_bytes(bytes: &[u8; 32]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for b in bytes {
            hex.push(HEX[(b >> 4) as usize] as char);
            hex.push(HEX[(b & 15) as usize] as char);
        }
        Digest { hex }
    }

    /// The 64 hex characters, without the algorithm; safe to use as a file name.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex characters, as `docker images` shows them.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (algo, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::NoAlgorithm(s.to_string()))?;
        if algo != "sha256" {
            return Err(DigestError::Algorithm(algo.to_string()));
        }
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(DigestError::Encoding(s.to_string()));
        }
        Ok(Digest {
            hex: hex.to_string(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let s = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let d: Digest = s.parse().unwrap();
        assert_eq!(d.to_string(), s);
        assert_eq!(d.short(), "e3b0c44298fc");
    }

    #[test]
    fn rejects_malformed() {
        assert!(matches!(
            "abc".parse::<Digest>(),
            Err(DigestError::NoAlgorithm(_))
        ));
        assert!(matches!(
            "md5:00".parse::<Digest>(),
            Err(DigestError::Algorithm(_))
        ));
        assert!(matches!(
            "sha256:../../etc/passwd".parse::<Digest>(),
            Err(DigestError::Encoding(_))
        ));
        let upper = format!("sha256:{}", "A".repeat(64));
        assert!(upper.parse::<Digest>().is_err());
    }

    #[test]
    fn from_bytes_matches_text() {
        let d = Digest::from_sha256_bytes(&[0xab; 32]);
        assert_eq!(d.hex(), "ab".repeat(32));
    }
}
