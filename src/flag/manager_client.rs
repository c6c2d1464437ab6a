//! The `manager` flag: the flag lives in the manager process (see
//! [`crate::ipc::manager`]); every look is one request byte and one reply byte
//! over a Unix socket, the book's `Manager().Value` proxy and its round trip.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use super::{Flag, FlagError};
use crate::ipc::manager::{self, CLEAR, GET, SET};

/// One connection to the manager; each look is a request and its reply.
#[derive(Debug)]
pub struct ManagerClient {
    socket: PathBuf,
    stream: UnixStream,
}

impl ManagerClient {
    /// Connects to the manager listening at `socket`.
    pub fn connect_to(socket: &Path) -> Result<Self, FlagError> {
        let stream = manager::connect(socket)?;
        Ok(ManagerClient {
            socket: socket.to_path_buf(),
            stream,
        })
    }

    /// Sends one request and reads the value the manager holds after it.
    fn ask(&mut self, request: u8) -> Result<bool, FlagError> {
        let mut reply = [0u8; 1];
        self.stream
            .write_all(&[request])
            .and_then(|()| self.stream.read_exact(&mut reply))
            .map_err(|e| {
                FlagError(format!(
                    "the flag's manager at {} stopped answering: {e}",
                    self.socket.display()
                ))
            })?;
        Ok(reply[0] == 1)
    }
}

impl Flag for ManagerClient {
    /// A new connection: a connection belongs to one worker.
    fn connect(&self) -> Result<Self, FlagError> {
        ManagerClient::connect_to(&self.socket)
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.ask(CLEAR).map(drop)
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.ask(SET).map(drop)
    }
    fn is_set(&mut self) -> Result<bool, FlagError> {
        self.ask(GET)
    }
}
