//! One byte in a shared memory map: the analogue of the book's anonymous
//! `mmap` flag.
//!
//! The byte is read and written as an `AtomicU8` with relaxed ordering. That
//! compiles to the same plain byte load and store as a volatile access, but
//! unlike volatile it is defined behaviour when threads race on the byte.
//! The map is anonymous, which threads share; a process executor will need a
//! file under /dev/shm instead (an anonymous map is private across fork).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use memmap2::MmapMut;

use super::{Flag, FlagError};

/// A one-byte anonymous memory map shared by every handle.
#[derive(Clone)]
pub struct MmapFlag {
    map: Arc<MmapMut>,
}

impl MmapFlag {
    /// Maps one byte of shared memory.
    pub fn map() -> Result<Self, FlagError> {
        let map = MmapMut::map_anon(1).map_err(|e| FlagError(format!("cannot map memory: {e}")))?;
        Ok(MmapFlag { map: Arc::new(map) })
    }

    fn byte(&self) -> &AtomicU8 {
        // SAFETY: the map is at least one byte long, lives as long as `self`,
        // and is only ever accessed through this atomic view.
        unsafe { AtomicU8::from_ptr(self.map.as_ptr().cast_mut()) }
    }
}

impl Flag for MmapFlag {
    fn connect(&self) -> Result<Self, FlagError> {
        Ok(self.clone())
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.byte().store(0, Ordering::Relaxed);
        Ok(())
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.byte().store(1, Ordering::Relaxed);
        Ok(())
    }
    #[inline]
    fn is_set(&mut self) -> Result<bool, FlagError> {
        Ok(self.byte().load(Ordering::Relaxed) == 1)
    }
}
