//! Cosign signatures, as the cosign signature specification lays them out in a registry:
//! the signatures of `repo@sha256:HEX` are the layers of the manifest tagged
//! `repo:sha256-HEX.sig`; each layer (media type
//! `application/vnd.dev.cosign.simplesigning.v1+json`) is a "simple signing" payload naming
//! the signed manifest digest, and its `dev.cosignproject.cosign/signature` annotation holds
//! the base64 signature over the payload's bytes.
//!
//! A signature counts only when the payload's bytes hash to the layer's digest, it verifies
//! under one of the trusted public keys (ECDSA P-256 with SHA-256, or Ed25519, from PEM), and
//! the payload names exactly the digest being admitted: a valid signature of another image
//! proves nothing about this one. Keyless (Fulcio certificate) signatures and Rekor
//! transparency-log entries are not checked; a key is the trust root.
//!
//! The crypto is RustCrypto's (`p256`, `ed25519-dalek`); what is written here is the layout
//! of the signature manifest and payload, which those crates do not know.

use base64::Engine as _;
use hull_types::Digest;
use serde::Deserialize;

use crate::registry::RegistryClient;
use crate::{ImageError, Reference, RegistryOptions};

const PAYLOAD_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// A payload is a few hundred bytes; anything larger is not one.
const MAX_PAYLOAD: u64 = 64 << 10;
/// Signatures looked at per image, at most.
const MAX_SIGNATURES: usize = 32;

/// A trusted public key.
#[derive(Clone, Debug)]
pub enum PublicKey {
    /// ECDSA over P-256 with SHA-256 (cosign's default keys).
    P256(p256::ecdsa::VerifyingKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as `cosign generate-key-pair` and
    /// `openssl pkey -pubout` write it.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        use p256::pkcs8::DecodePublicKey;
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            return Ok(PublicKey::P256(k));
        }
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            return Ok(PublicKey::Ed25519(k));
        }
        Err("not a PEM ECDSA P-256 or Ed25519 public key".into())
    }

    fn verifies(&self, payload: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        match self {
            PublicKey::P256(k) => p256::ecdsa::Signature::from_der(signature)
                .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
                .is_ok_and(|s| k.verify(payload, &s).is_ok()),
            PublicKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify(payload, &s).is_ok()),
        }
    }
}

/// What the signature manifest of an image says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signed {
    /// A signature by a trusted key over this digest.
    Verified,
    /// No `sha256-HEX.sig` manifest.
    Unsigned,
    /// Signatures exist and none is valid for this digest under the keys; why, per
    /// signature.
    Invalid(Vec<String>),
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Layer {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Payload {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    image: PayloadImage,
}

#[derive(Deserialize)]
struct PayloadImage {
    #[serde(rename = "docker-manifest-digest")]
    digest: String,
}

/// Checks the cosign signatures of `repository@digest` (`repository` as in a reference,
/// `host/path`) against `keys`.
pub fn verify(
    repository: &str,
    digest: &Digest,
    keys: &[PublicKey],
    opts: &RegistryOptions,
) -> Result<Signed, ImageError> {
    let r = Reference::parse(&format!("{repository}@{digest}"))?;
    let client = RegistryClient::new(&r, opts);
    let tag = format!("sha256-{}.sig", digest.hex());
    let manifest = match client.manifest(&tag) {
        Ok((bytes, _)) => bytes,
        Err(ImageError::NotFound(_)) => return Ok(Signed::Unsigned),
        Err(e) => return Err(e),
    };
    let m: Manifest = serde_json::from_slice(&manifest).map_err(|e| {
        ImageError::malformed(
            format!("{repository}:{tag}"),
            format!("signature manifest: {e}"),
        )
    })?;
    let mut why = Vec::new();
    for layer in m.layers.iter().take(MAX_SIGNATURES) {
        if layer.media_type != PAYLOAD_TYPE {
            continue;
        }
        match check(&client, layer, digest, keys) {
            Ok(()) => return Ok(Signed::Verified),
            Err(reason) => why.push(reason),
        }
    }
    if why.is_empty() {
        why.push("the signature manifest holds no simple-signing payload".into());
    }
    Ok(Signed::Invalid(why))
}

fn check(
    client: &RegistryClient,
    layer: &Layer,
    digest: &Digest,
    keys: &[PublicKey],
) -> Result<(), String> {
    let blob: Digest = layer
        .digest
        .parse()
        .map_err(|_| format!("payload digest {:?} is malformed", layer.digest))?;
    let payload = client
        .blob_bytes(&blob, MAX_PAYLOAD)
        .map_err(|e| format!("payload {}: {e}", blob.short()))?;
    use sha2::Digest as _;
    let sum: [u8; 32] = sha2::Sha256::digest(&payload).into();
    if Digest::from_sha256_bytes(&sum) != blob {
        return Err(format!(
            "payload {} does not match its digest",
            blob.short()
        ));
    }
    let signature = layer
        .annotations
        .get(SIGNATURE_ANNOTATION)
        .and_then(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .ok()
        })
        .ok_or_else(|| format!("payload {}: no readable signature annotation", blob.short()))?;
    if !keys.iter().any(|k| k.verifies(&payload, &signature)) {
        return Err(format!(
            "payload {}: not signed by a trusted key",
            blob.short()
        ));
    }
    let p: Payload =
        serde_json::from_slice(&payload).map_err(|e| format!("payload {}: {e}", blob.short()))?;
    if p.critical.image.digest != digest.to_string() {
        return Err(format!(
            "payload {}: signs {}, not this digest",
            blob.short(),
            p.critical.image.digest
        ));
    }
    Ok(())
}
