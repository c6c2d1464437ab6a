//! A lock-protected value: every look takes and releases the lock.

use std::sync::{Arc, Mutex, PoisonError};

use super::{Flag, FlagError};

/// A `bool` behind a `Mutex`.
#[derive(Debug, Default, Clone)]
pub struct MutexFlag(Arc<Mutex<bool>>);

impl MutexFlag {
    fn put(&self, value: bool) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = value;
    }
}

impl Flag for MutexFlag {
    fn connect(&self) -> Result<Self, FlagError> {
        Ok(self.clone())
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.put(false);
        Ok(())
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.put(true);
        Ok(())
    }
    fn is_set(&mut self) -> Result<bool, FlagError> {
        Ok(*self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
