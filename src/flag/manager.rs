//! The flag lives in a server thread; workers ask it over channels, one
//! request and one reply per look: the analogue of a `multiprocessing.Manager`
//! proxy and its round trips to the manager process.

use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};

use super::{Flag, FlagError};

enum Request {
    Set(bool),
    Get,
}

/// A handle to the flag server: its request queue and this handle's own
/// reply channel. The server stops when the last handle is dropped.
pub struct ManagerFlag {
    requests: Sender<(Request, Sender<bool>)>,
    reply_to: Sender<bool>,
    replies: Receiver<bool>,
}

impl ManagerFlag {
    /// Starts the server thread and returns the first handle.
    pub fn start() -> Result<Self, FlagError> {
        let (requests, inbox) = unbounded::<(Request, Sender<bool>)>();
        thread::Builder::new()
            .name("flag-manager".into())
            .spawn(move || serve(&inbox))
            .map_err(|e| FlagError(format!("cannot start the manager thread: {e}")))?;
        Ok(Self::handle(requests))
    }

    fn handle(requests: Sender<(Request, Sender<bool>)>) -> Self {
        let (reply_to, replies) = bounded(1);
        ManagerFlag {
            requests,
            reply_to,
            replies,
        }
    }

    fn ask(&mut self, request: Request) -> Result<bool, FlagError> {
        let gone = || FlagError("the flag manager thread stopped".into());
        self.requests
            .send((request, self.reply_to.clone()))
            .map_err(|_| gone())?;
        self.replies.recv().map_err(|_| gone())
    }
}

/// The server: holds the value and answers every request.
fn serve(inbox: &Receiver<(Request, Sender<bool>)>) {
    let mut value = false;
    for (request, reply) in inbox {
        if let Request::Set(v) = request {
            value = v;
        }
        let _ = reply.send(value);
    }
}

impl Flag for ManagerFlag {
    fn connect(&self) -> Result<Self, FlagError> {
        Ok(Self::handle(self.requests.clone()))
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.ask(Request::Set(false)).map(drop)
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.ask(Request::Set(true)).map(drop)
    }
    fn is_set(&mut self) -> Result<bool, FlagError> {
        self.ask(Request::Get)
    }
}
