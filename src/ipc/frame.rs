//! Frames: how one process hands another a serde message over a pipe or a
//! socket. A frame is a 4-byte little-endian length, then that many bytes of
//! postcard. postcard is compact (variable-length integers: a queued number
//! of range C costs 5 bytes, a task of 100 numbers about 500), needs no
//! schema, and is a well-kept serde format.
//!
//! The worker processes speak it with their coordinator (see the backend's
//! wire, which adds the versioned hello), and the manager process keeps its
//! queue as frames.

use std::io::{self, Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The largest frame either side accepts: 64 MiB.
pub const MAX_FRAME: usize = 64 << 20;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The other side closed the stream between frames.
    #[error("the other side closed the connection")]
    Closed,
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("a malformed frame: {0}")]
    Malformed(String),
}

/// Encodes `message` as one frame.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, WireError> {
    let mut frame = vec![0u8; 4];
    let body = postcard::to_extend(message, Vec::new())
        .map_err(|e| WireError::Malformed(e.to_string()))?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&n| n as usize <= MAX_FRAME)
        .ok_or_else(|| WireError::Malformed(format!("a frame of {} bytes", body.len())))?;
    frame[..4].copy_from_slice(&len.to_le_bytes());
    frame.extend(body);
    Ok(frame)
}

/// Writes `message` as one frame, in one write call; returns its size.
pub fn send<T: Serialize>(to: &mut impl Write, message: &T) -> Result<usize, WireError> {
    let frame = encode(message)?;
    to.write_all(&frame)?;
    to.flush()?;
    Ok(frame.len())
}

/// Reads one frame and decodes it; returns the message and its size.
pub fn receive<T: DeserializeOwned>(from: &mut impl Read) -> Result<(T, usize), WireError> {
    let mut len = [0u8; 4];
    match from.read_exact(&mut len) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(WireError::Closed),
        other => other?,
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(WireError::Malformed(format!("a frame of {len} bytes")));
    }
    let mut body = vec![0u8; len];
    from.read_exact(&mut body)?;
    let message = postcard::from_bytes(&body).map_err(|e| WireError::Malformed(e.to_string()))?;
    Ok((message, len + 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_round_trips_and_its_size_is_told() {
        let message = (7u64, String::from("seven"), vec![11u32, 13]);
        let mut buffer = Vec::new();
        let sent = send(&mut buffer, &message).unwrap();
        assert_eq!(sent, buffer.len());
        let (back, read): ((u64, String, Vec<u32>), usize) =
            receive(&mut buffer.as_slice()).unwrap();
        assert_eq!((back, read), (message, sent));
    }

    #[test]
    fn a_closed_stream_and_a_bad_frame_are_told_apart() {
        assert!(matches!(
            receive::<u64>(&mut [].as_slice()),
            Err(WireError::Closed)
        ));
        let huge = (u32::MAX).to_le_bytes();
        assert!(matches!(
            receive::<u64>(&mut huge.as_slice()),
            Err(WireError::Malformed(_))
        ));
    }
}
