//! Helpers of the recording proxy's tests: an upstream that echoes what it
//! received, and raw HTTP/1.1 requests (absolute-form targets, any header).

use crate::helpers::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An upstream that answers every request with what it received: the
/// request line, the headers in order and the body. It counts its hits.
pub struct Echo {
    pub addr: std::net::SocketAddr,
    pub hits: Arc<AtomicUsize>,
}

async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<(String, String)>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((request_line, headers, body))
}

pub async fn echo() -> Echo {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let hits = counted.clone();
            tokio::spawn(async move {
                let Some((line, headers, body)) = read_request(&mut stream).await else {
                    return;
                };
                hits.fetch_add(1, Ordering::SeqCst);
                let answer = json!({
                    "request_line": line,
                    "headers": headers,
                    "body": String::from_utf8_lossy(&body),
                })
                .to_string();
                let res = format!(
                    "HTTP/1.1 201 Created\r\nContent-Type: application/json; charset=utf-8\r\n\
                     X-Upstream: echo\r\nCache-Control: no-store\r\nSet-Cookie: up=1; Path=/\r\n\
                     Connection: close, X-Upstream-Hop\r\nX-Upstream-Hop: 1\r\n\
                     Content-Length: {}\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = stream.write_all(res.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Echo { addr, hits }
}

/// Sends raw bytes to `app` and reads the whole answer (the request asks
/// for `Connection: close`): (status, head, body).
pub async fn raw(app: &TestApp, request: &[u8]) -> (u16, String, Vec<u8>) {
    let addr = app.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut buf))
        .await
        .expect("an answer in time")
        .unwrap();
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, buf[end + 4..].to_vec())
}

pub fn host_of(app: &TestApp) -> &str {
    app.url.trim_start_matches("http://")
}
