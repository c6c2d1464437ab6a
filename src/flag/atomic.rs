//! An atomic byte read with relaxed loads: the analogue of the book's
//! `multiprocessing.RawValue`, unsynchronised shared memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Flag, FlagError};

/// A shared `AtomicBool`; a look is one plain load.
#[derive(Debug, Default, Clone)]
pub struct AtomicFlag(Arc<AtomicBool>);

impl Flag for AtomicFlag {
    fn connect(&self) -> Result<Self, FlagError> {
        Ok(self.clone())
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.0.store(false, Ordering::Relaxed);
        Ok(())
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.0.store(true, Ordering::Relaxed);
        Ok(())
    }
    #[inline]
    fn is_set(&mut self) -> Result<bool, FlagError> {
        Ok(self.0.load(Ordering::Relaxed))
    }
}
