//! No sharing: a worker only stops when it finds a factor itself.

use super::{Flag, FlagError};

/// A flag that is never set, for the pools without early exit.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFlag;

impl Flag for NoFlag {
    fn connect(&self) -> Result<Self, FlagError> {
        Ok(NoFlag)
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        Ok(())
    }
    fn set(&mut self) -> Result<(), FlagError> {
        Ok(())
    }
    fn is_set(&mut self) -> Result<bool, FlagError> {
        Ok(false)
    }
}
