use super::*;

const PLAIN: &[u8] = b"ada@example.com";

#[test]
fn sealed_values_open_only_for_their_record_and_key() {
    let k = Keys::from_master(&[1; 32]);
    let sealed = k.seal(b"users_v1:1:email", PLAIN);
    assert!(!sealed.windows(PLAIN.len()).any(|w| w == PLAIN));
    assert_eq!(k.open(b"users_v1:1:email", &sealed).unwrap(), PLAIN);
    // Moved to another record: fails.
    assert!(k.open(b"users_v1:2:email", &sealed).is_err());
    // Another master's keys: fail.
    assert!(
        Keys::from_master(&[2; 32])
            .open(b"users_v1:1:email", &sealed)
            .is_err()
    );
    // A flipped bit anywhere (format, key id, nonce, ciphertext, tag): fails.
    for i in 0..sealed.len() {
        for bit in [0, 3, 7] {
            let mut t = sealed.clone();
            t[i] ^= 1 << bit;
            assert!(
                k.open(b"users_v1:1:email", &t).is_err(),
                "byte {i} bit {bit}"
            );
        }
    }
    assert!(
        k.open(b"users_v1:1:email", &sealed[..sealed.len() - 1])
            .is_err()
    );
    assert!(k.open(b"users_v1:1:email", &[]).is_err());
    // Fresh nonce each time.
    assert_ne!(sealed, k.seal(b"users_v1:1:email", PLAIN));
    // Purposes don't share keys.
    assert!(
        k.open_for(Purpose::Salt, b"users_v1:1:email", &sealed)
            .is_err()
    );
}

#[test]
fn values_sealed_before_key_ids_still_open() {
    let k = Keys::from_master(&[1; 32]);
    // The earlier format: [1][nonce][ciphertext], under the first data key.
    let v2 = k.seal(b"r", PLAIN);
    let mut v1 = vec![SEALED_V1];
    v1.extend_from_slice(&v2[2..]);
    assert_eq!(k.open(b"r", &v1).unwrap(), PLAIN);
    assert!(k.is_current(Purpose::Data, &v1));
}

#[test]
fn blind_indexes_are_stable_per_key_and_purpose() {
    let k = Keys::from_master(&[1; 32]);
    assert_eq!(k.blind_index("email", b"a"), k.blind_index("email", b"a"));
    assert_ne!(k.blind_index("email", b"a"), k.blind_index("phone", b"a"));
    assert_ne!(
        k.blind_index("email", b"a"),
        Keys::from_master(&[2; 32]).blind_index("email", b"a")
    );
}

#[test]
fn the_ring_opens_only_with_its_master_and_survives_rotation() {
    let (old, new) = (Master::new([1; 32]), Master::new([9; 32]));
    let (keys, stored) = Keys::unlock(&old, None).unwrap();
    let stored = stored.expect("a first ring to store");
    assert!(!stored.windows(32).any(|w| w == [1u8; 32]));
    let (again, none) = Keys::unlock(&old, Some(&stored)).unwrap();
    assert!(none.is_none());
    let sealed = keys.seal(b"r", PLAIN);
    assert_eq!(again.open(b"r", &sealed).unwrap(), PLAIN);
    assert!(matches!(
        Keys::unlock(&new, Some(&stored)),
        Err(KeyError::WrongMaster(_))
    ));
    let mut tampered = stored.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(Keys::unlock(&old, Some(&tampered)).is_err());

    // Rotation: new keys current, old values open until the old keys retire.
    let rotated = keys.rotated();
    assert!(!rotated.is_current(Purpose::Data, &sealed));
    assert_eq!(rotated.open(b"r", &sealed).unwrap(), PLAIN);
    let resealed = rotated.seal(b"r", PLAIN);
    assert!(rotated.is_current(Purpose::Data, &resealed));
    assert_eq!(rotated.retiring(), 2);
    let ring = rotated.retired().seal_ring(&new);
    let (after, _) = Keys::unlock(&new, Some(&ring)).unwrap();
    assert_eq!(after.retiring(), 0);
    assert_eq!(after.open(b"r", &resealed).unwrap(), PLAIN);
    assert!(
        after.open(b"r", &sealed).is_err(),
        "the retired key is gone"
    );
    assert!(
        Keys::unlock(&old, Some(&ring)).is_err(),
        "the old master opens nothing"
    );
    assert_eq!(
        after.blind_index("email", b"a"),
        keys.blind_index("email", b"a"),
        "blind indexes stay comparable"
    );
}

#[test]
fn the_key_file_is_made_once_and_reread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/touchpoint.key");
    let a = Master::load_or_create(&path).unwrap();
    let b = Master::load_or_create(&path).unwrap();
    assert_eq!(a.0, b.0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::write(&path, "not hex").unwrap();
    assert!(matches!(
        Master::load_or_create(&path),
        Err(KeyError::Malformed(_))
    ));
    let b64 = base64::engine::general_purpose::STANDARD.encode([5u8; 32]);
    assert_eq!(Master::from_base64(&b64).unwrap().0, [5; 32]);
    assert!(Master::from_base64("c2hvcnQ=").is_err());
}
