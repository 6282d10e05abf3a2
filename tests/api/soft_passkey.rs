//! A software passkey for the HTTP tests: a P-256 key and a credential id
//! answering the server's WebAuthn options as a browser with a platform
//! authenticator would (attestation "none", user verified), so a test can
//! replay an answer, answer late, or answer with another account's key. Its
//! signature counter stays 0, as synced passkeys' do: a replay must then be
//! caught by the server's single-use challenges, not by the counter. (The
//! browser tests use Chromium's virtual authenticator instead.)

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use crypto_glue::{
    ecdsa_p256::{self, EcdsaP256PublicSec1Point, EcdsaP256Signature, EcdsaP256SigningKey},
    traits::Signer,
};
use serde_cbor_2::Value as Cbor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// User present, user verified.
const UP_UV: u8 = 0x05;
/// … and attested credential data included.
const UP_UV_AT: u8 = 0x45;

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(v.as_str().expect("a base64url string"))
        .expect("base64url")
}

/// One passkey on one make-believe device.
pub struct SoftPasskey {
    signer: EcdsaP256SigningKey,
    cose_key: Vec<u8>,
    pub credential_id: Vec<u8>,
    /// The user handle it was made for (sent back when signing in).
    pub user_handle: Vec<u8>,
}

impl SoftPasskey {
    pub fn new() -> Self {
        let key = ecdsa_p256::new_key();
        let point = EcdsaP256PublicSec1Point::from(key.public_key());
        let cose = BTreeMap::from([
            (Cbor::Integer(1), Cbor::Integer(2)),  // kty: EC2
            (Cbor::Integer(3), Cbor::Integer(-7)), // alg: ES256
            (Cbor::Integer(-1), Cbor::Integer(1)), // crv: P-256
            (
                Cbor::Integer(-2),
                Cbor::Bytes(point.x().expect("x").to_vec()),
            ),
            (
                Cbor::Integer(-3),
                Cbor::Bytes(point.y().expect("y").to_vec()),
            ),
        ]);
        Self {
            signer: EcdsaP256SigningKey::from(&key),
            cose_key: serde_cbor_2::to_vec(&Cbor::Map(cose)).unwrap(),
            credential_id: touchpoint::privacy::random_bytes::<32>().to_vec(),
            user_handle: Vec::new(),
        }
    }

    /// The `PublicKeyCredential` JSON around an authenticator's `response`.
    fn credential(&self, response: Value) -> Value {
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "extensions": {},
            "response": response,
        })
    }

    fn client_data(kind: &str, options: &Value, origin: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": options["challenge"],
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// Answers the `{"publicKey": …}` options of `navigator.credentials.create()`
    /// as a page at `origin` would get it.
    pub fn create(&mut self, options: &Value, origin: &str) -> Value {
        let o = &options["publicKey"];
        self.user_handle = unb64(&o["user"]["id"]);
        let rp_id = o["rp"]["id"].as_str().expect("rp.id");
        let client_data = Self::client_data("webauthn.create", o, origin);
        let id_len = u16::try_from(self.credential_id.len())
            .unwrap()
            .to_be_bytes();
        let auth_data = [
            Sha256::digest(rp_id.as_bytes()).as_slice(),
            &[UP_UV_AT],
            &0u32.to_be_bytes(),
            &[0; 16], // AAGUID
            &id_len,
            &self.credential_id,
            &self.cose_key,
        ]
        .concat();
        let attestation = Cbor::Map(BTreeMap::from([
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(BTreeMap::new())),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]));
        self.credential(json!({
            "attestationObject": b64(&serde_cbor_2::to_vec(&attestation).unwrap()),
            "clientDataJSON": b64(&client_data),
        }))
    }

    /// Answers the `{"publicKey": …}` options of `navigator.credentials.get()`
    /// with this passkey, whatever credentials they allow.
    pub fn get(&self, options: &Value, origin: &str) -> Value {
        let o = &options["publicKey"];
        let rp_id = o["rpId"].as_str().expect("rpId");
        let client_data = Self::client_data("webauthn.get", o, origin);
        let auth_data = [
            Sha256::digest(rp_id.as_bytes()).as_slice(),
            &[UP_UV],
            &0u32.to_be_bytes(), // no counter
        ]
        .concat();
        let signed = [auth_data.as_slice(), &Sha256::digest(&client_data)].concat();
        let signature: EcdsaP256Signature = self.signer.sign(&signed);
        self.credential(json!({
            "authenticatorData": b64(&auth_data),
            "clientDataJSON": b64(&client_data),
            "signature": b64(&signature.to_der().to_bytes()),
            "userHandle": b64(&self.user_handle),
        }))
    }
}
