//! Integer columns packed at the fewest bits that hold their values.
//!
//! A packed column is a width byte, then the values:
//!
//! - [`BLOCKS`]: blocks of 128 values, each a byte giving its width in bits
//!   (0 to 32) and the block bit-packed at that width by the `bitpacking`
//!   crate's `BitPacker4x` (the layout of Lemire's simdcomp, the same on
//!   every CPU); the last block is padded with zeros. Written by this build:
//!   a block of small values (popular pages, the common browsers) takes
//!   fewer bits than the column's largest needs.
//! - `0` to `4`: every value at that many whole bytes, little-endian;
//!   written before, still read. `0` (every value zero, no bytes) is also
//!   what this build writes for such a column.

use bitpacking::{BitPacker, BitPacker4x};

use crate::store::codec::CodecError;

/// Width byte of a column packed in blocks.
const BLOCKS: u8 = 0x80;

const BLOCK: usize = BitPacker4x::BLOCK_LEN;

/// `values` packed in blocks of 128 at the fewest bits each block needs.
#[must_use]
pub fn packed(values: &[u32]) -> Vec<u8> {
    if values.iter().all(|&v| v == 0) {
        return vec![0];
    }
    let packer = BitPacker4x::new();
    let mut out = vec![BLOCKS];
    let mut block = [0u32; BLOCK];
    let mut bytes = [0u8; 4 * BLOCK];
    for chunk in values.chunks(BLOCK) {
        block[..chunk.len()].copy_from_slice(chunk);
        block[chunk.len()..].fill(0);
        let bits = packer.num_bits(&block);
        let len = packer.compress(&block, &mut bytes, bits);
        out.push(bits);
        out.extend_from_slice(&bytes[..len]);
    }
    out
}

/// The `n` values of a packed column.
///
/// # Errors
/// An unknown width, or bytes that don't hold exactly `n` values.
pub fn unpack(b: &[u8], n: usize) -> Result<Vec<u32>, CodecError> {
    let (&width, rest) = b.split_first().ok_or(CodecError("empty column"))?;
    if width == BLOCKS {
        return unpack_blocks(rest, n);
    }
    let width = usize::from(width);
    if width > 4 || Some(rest.len()) != n.checked_mul(width) {
        return Err(CodecError("segment column length"));
    }
    Ok(match width {
        0 => vec![0; n],
        1 => rest.iter().map(|&v| u32::from(v)).collect(),
        2 => rest
            .chunks_exact(2)
            .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        3 => rest
            .chunks_exact(3)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], 0]))
            .collect(),
        _ => rest
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    })
}

fn unpack_blocks(mut b: &[u8], n: usize) -> Result<Vec<u32>, CodecError> {
    let short = || CodecError("segment column length");
    // Each block takes at least its width byte: check that before sizing
    // the output by `n`.
    if b.len() < n.div_ceil(BLOCK) {
        return Err(short());
    }
    let packer = BitPacker4x::new();
    let mut out = vec![0u32; n.div_ceil(BLOCK) * BLOCK];
    for block in out.chunks_exact_mut(BLOCK) {
        let (&bits, rest) = b.split_first().ok_or_else(short)?;
        if bits > 32 {
            return Err(CodecError("segment column width"));
        }
        let len = BitPacker4x::compressed_block_size(bits);
        let packed = rest.get(..len).ok_or_else(short)?;
        packer.decompress(packed, block, bits);
        b = &rest[len..];
    }
    if !b.is_empty() {
        return Err(short());
    }
    out.truncate(n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    #[test]
    fn packed_columns_read_back_at_every_width() {
        let mut rng = Rng(7);
        for bits in 0..=32u32 {
            for n in [0usize, 1, 2, 7, 8, 9, 63, 64, 65, 1000] {
                let top = if bits == 0 {
                    0
                } else {
                    u64::MAX >> (64 - bits)
                };
                let mut values: Vec<u32> = (0..n)
                    .map(|_| u32::try_from(rng.below(top + 1)).unwrap())
                    .collect();
                if let Some(v) = values.first_mut() {
                    *v = u32::try_from(top).unwrap(); // the width is `bits`
                }
                let b = packed(&values);
                let want = if n == 0 || bits == 0 {
                    1..=1
                } else {
                    // One block at `bits`, the others at most that.
                    let blocks = n.div_ceil(BLOCK);
                    1 + blocks + 16 * bits as usize..=1 + blocks + blocks * 16 * bits as usize
                };
                assert!(
                    want.contains(&b.len()),
                    "{bits} bits, {n} values: {}",
                    b.len()
                );
                assert_eq!(unpack(&b, n).unwrap(), values, "{bits} bits, {n} values");
                if b.len() > 1 {
                    assert!(unpack(&b[..b.len() - 1], n).is_err());
                    assert!(unpack(&b, n + BLOCK).is_err());
                }
            }
        }
    }

    #[test]
    fn each_block_takes_the_bits_its_own_values_need() {
        let mut values = vec![1u32; BLOCK];
        values.extend((0..BLOCK as u32).map(|i| i << 13));
        values.push(3);
        let b = packed(&values);
        assert_eq!(b.len(), 1 + 3 + 16 * (1 + 20 + 2));
        assert_eq!(unpack(&b, values.len()).unwrap(), values);
    }

    #[test]
    fn columns_packed_at_whole_bytes_still_read() {
        assert_eq!(unpack(&[0], 3).unwrap(), [0, 0, 0]);
        assert_eq!(unpack(&[1, 7, 255], 2).unwrap(), [7, 255]);
        assert_eq!(unpack(&[2, 1, 1, 0, 0], 2).unwrap(), [257, 0]);
        assert_eq!(unpack(&[3, 1, 0, 1], 1).unwrap(), [65_537]);
        assert_eq!(unpack(&[4, 0, 0, 0, 128], 1).unwrap(), [1 << 31]);
        assert!(unpack(&[5, 0, 0, 0, 0, 0], 1).is_err());
        assert!(unpack(&[2, 1], 1).is_err());
        assert!(unpack(&[BLOCKS, 33], 1).is_err());
        assert!(unpack(&[BLOCKS], 1).is_err());
        assert!(unpack(&[], 0).is_err());
    }
}
