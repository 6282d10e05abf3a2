//! Byte codec for stored records: LEB128 varints, so small ids and time offsets
//! take one or two bytes. Decoding never panics on corrupt input; it errors.

/// A record could not be decoded: the bytes are truncated or corrupt.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("corrupt record: {0}")]
pub struct CodecError(pub &'static str);

/// Appends values to a buffer.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer with room for `n` bytes.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        Self {
            buf: Vec::with_capacity(n),
        }
    }

    /// Unsigned LEB128.
    pub fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            #[allow(clippy::cast_possible_truncation)]
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        #[allow(clippy::cast_possible_truncation)]
        self.buf.push(v as u8);
    }

    /// Signed, zig-zag encoded.
    pub fn i64(&mut self, v: i64) {
        #[allow(clippy::cast_sign_loss)]
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }

    /// One raw byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Raw bytes of a fixed, known length.
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// The encoded bytes.
    #[must_use]
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads values back in the order they were written.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// The bytes not read yet.
    #[must_use]
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// True when every byte has been read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Unsigned LEB128.
    ///
    /// # Errors
    /// Truncated input or more than 64 bits.
    pub fn u64(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self
                .buf
                .split_first()
                .ok_or(CodecError("truncated varint"))?;
            self.buf = rest;
            if shift == 63 && b > 1 {
                return Err(CodecError("varint overflow"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError("varint too long"))
    }

    /// A varint that must fit in 32 bits.
    ///
    /// # Errors
    /// As [`Reader::u64`], or a value over `u32::MAX`.
    pub fn u32(&mut self) -> Result<u32, CodecError> {
        u32::try_from(self.u64()?).map_err(|_| CodecError("value exceeds u32"))
    }

    /// Zig-zag signed.
    ///
    /// # Errors
    /// As [`Reader::u64`].
    pub fn i64(&mut self) -> Result<i64, CodecError> {
        let u = self.u64()?;
        #[allow(clippy::cast_possible_wrap)]
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// One raw byte.
    ///
    /// # Errors
    /// Truncated input.
    pub fn u8(&mut self) -> Result<u8, CodecError> {
        let (&b, rest) = self.buf.split_first().ok_or(CodecError("truncated byte"))?;
        self.buf = rest;
        Ok(b)
    }

    /// `N` raw bytes.
    ///
    /// # Errors
    /// Truncated input.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        if self.buf.len() < N {
            return Err(CodecError("truncated bytes"));
        }
        let (head, rest) = self.buf.split_at(N);
        self.buf = rest;
        let mut out = [0u8; N];
        out.copy_from_slice(head);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varints_round_trip(a: u64, b: i64, c: u8) {
            let mut w = Writer::default();
            w.u64(a); w.i64(b); w.u8(c);
            let bytes = w.finish();
            let mut r = Reader::new(&bytes);
            prop_assert_eq!(r.u64().unwrap(), a);
            prop_assert_eq!(r.i64().unwrap(), b);
            prop_assert_eq!(r.u8().unwrap(), c);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut r = Reader::new(&bytes);
            while r.u64().is_ok() {}
        }
    }

    #[test]
    fn small_values_take_one_byte() {
        let mut w = Writer::default();
        w.u64(127);
        assert_eq!(w.finish().len(), 1);
    }
}
