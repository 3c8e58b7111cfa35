//! The listener: TCP, with a JSON body on the few answers hyper gives by itself.
//!
//! Why: a request hyper cannot parse — an address over 64 KiB (414), headers over its limit
//! (431), bytes that are not HTTP (400) — never reaches the router, so no middleware can shape
//! its answer, and hyper sends it with an empty body. The API promises `{"code","message"}` on
//! every error. hyper writes these answers in one fixed form (`connection: close`,
//! `content-length: 0`, nothing else to follow), so the connection's writer recognises that
//! form and sends the same status with a JSON body instead. The router's own errors always
//! carry a body, so they never match.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections give hyper's own error answers a JSON body.
pub struct Listener(pub TcpListener);

impl axum::serve::Listener for Listener {
    type Io = ErrorBodies<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, address) = axum::serve::Listener::accept(&mut self.0).await;
        (ErrorBodies::new(stream), address)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// The JSON answer that replaces hyper's empty one, if `head` is one.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let (status, reason, code, message) = if head.starts_with(b"HTTP/1.1 414 ") {
        (
            414,
            "URI Too Long",
            "invalid",
            "the address is longer than the server accepts (64 KiB)",
        )
    } else if head.starts_with(b"HTTP/1.1 431 ") {
        (
            431,
            "Request Header Fields Too Large",
            "invalid",
            "the request's headers are larger than the server accepts",
        )
    } else if head.starts_with(b"HTTP/1.1 400 ") {
        (
            400,
            "Bad Request",
            "invalid",
            "not a valid HTTP/1.1 request",
        )
    } else {
        return None;
    };
    let text = std::str::from_utf8(head).ok()?.to_ascii_lowercase();
    let (headers, rest) = text.split_once("\r\n\r\n")?;
    let headers = format!("{headers}\r\n");
    if !rest.is_empty()
        || !headers.contains("\r\nconnection: close\r\n")
        || !headers.contains("\r\ncontent-length: 0\r\n")
        || headers.contains("\r\ncontent-type:")
    {
        return None;
    }
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    Some(
        format!(
            "HTTP/1.1 {status} {reason}\r\nconnection: close\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A connection whose writer replaces hyper's empty error answers (see the module docs).
pub struct ErrorBodies<IO> {
    inner: IO,
    /// A replacement being written: its bytes, how many are out, and how many bytes of
    /// hyper's buffer it stands for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<IO> ErrorBodies<IO> {
    /// Wraps a connection.
    pub fn new(inner: IO) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

impl<IO: AsyncWrite + Unpin> ErrorBodies<IO> {
    /// Writes what is left of a replacement; `Ready(n)` reports hyper's `n` bytes as written.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<usize>>> {
        while let Some((bytes, written, stands_for)) = &mut self.pending {
            if *written == bytes.len() {
                let stands_for = *stands_for;
                self.pending = None;
                return Poll::Ready(Ok(Some(stands_for)));
            }
            let wrote = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if wrote == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += wrote;
        }
        Poll::Ready(Ok(None))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for ErrorBodies<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for ErrorBodies<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.pending.is_none()
            && let Some(bytes) = replacement(buf)
        {
            self.pending = Some((bytes, 0, buf.len()));
        }
        if self.pending.is_some() {
            return match ready!(self.drain(cx))? {
                Some(stands_for) => Poll::Ready(Ok(stands_for)),
                None => Poll::Ready(Ok(0)),
            };
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        // hyper then hands over each answer's head as one buffer, which `replacement` reads.
        false
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    const HYPER_414: &[u8] = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 13:47:56 GMT\r\n\r\n";

    async fn written(buffers: &[&[u8]]) -> Vec<u8> {
        let mut out = ErrorBodies::new(Vec::new());
        for buffer in buffers {
            out.write_all(buffer).await.expect("write");
        }
        out.flush().await.expect("flush");
        out.inner
    }

    #[tokio::test]
    async fn hypers_empty_answers_get_a_json_body() {
        let out = String::from_utf8(written(&[HYPER_414]).await).expect("utf-8");
        let (head, body) = out.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["code"], "invalid");
        assert!(
            json["message"]
                .as_str()
                .is_some_and(|m| m.contains("64 KiB"))
        );
        for (status, text) in [
            (431, "Request Header Fields Too Large"),
            (400, "Bad Request"),
        ] {
            let raw = format!(
                "HTTP/1.1 {status} {text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
            );
            let out = String::from_utf8(written(&[raw.as_bytes()]).await).expect("utf-8");
            assert!(out.starts_with(&format!("HTTP/1.1 {status} ")), "{out}");
            assert!(out.ends_with('}'), "{out}");
        }
    }

    #[tokio::test]
    async fn everything_else_passes_untouched() {
        let answers: [&[u8]; 4] = [
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
            // The router's 400s carry a body (and a type).
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
            // Kept alive: not hyper's parse-error form.
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n",
            // A head followed by more bytes in the same buffer.
            b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\n\r\nHTTP/1.1",
        ];
        for answer in answers {
            assert_eq!(written(&[answer]).await, answer);
        }
        let both = written(&[answers[0], HYPER_414]).await;
        assert!(both.starts_with(answers[0]));
        assert!(both.ends_with(b"}"));
    }
}
