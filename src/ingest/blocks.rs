//! A source read in blocks of whole lines, for the readers that parse
//! blocks in parallel (session CSVs, FlexNet debug logs): each block is at
//! least `size` bytes and ends after a newline (or at the end), buffers are
//! handed back through `pool` for reuse.

use std::io::{self, Read};

/// Reads a source in blocks of whole lines.
pub(crate) struct BlockReader<R> {
    pub(crate) src: R,
    pub(crate) carry: Vec<u8>,
    pub(crate) eof: bool,
    pub(crate) size: usize,
    /// Buffers handed back for reuse.
    pub(crate) pool: Vec<Vec<u8>>,
}

impl<R: Read> BlockReader<R> {
    pub(crate) fn new(src: R, size: usize) -> Self {
        BlockReader {
            src,
            carry: Vec::new(),
            eof: false,
            size: size.max(1),
            pool: Vec::new(),
        }
    }

    /// The next block: at least `size` bytes cut after a newline, or the
    /// rest of the source; `None` at the end.
    pub(crate) fn next_block(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.eof && self.carry.is_empty() {
            return Ok(None);
        }
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.clear();
        buf.append(&mut self.carry);
        let mut want = self.size;
        loop {
            while !self.eof && buf.len() < want {
                let need = want - buf.len();
                buf.reserve(need);
                let n = (&mut self.src).take(need as u64).read_to_end(&mut buf)?;
                if n < need {
                    self.eof = true;
                }
            }
            if self.eof {
                return Ok((!buf.is_empty()).then_some(buf));
            }
            if let Some(nl) = memchr::memrchr(b'\n', &buf) {
                if let Some(tail) = buf.get(nl + 1..) {
                    self.carry.extend_from_slice(tail);
                }
                buf.truncate(nl + 1);
                return Ok(Some(buf));
            }
            // A line longer than a block: read on.
            want += self.size;
        }
    }
}
