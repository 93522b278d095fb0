//! HTTP methods and paths: 405 with `Allow`, 404 off the mounts, and several
//! routers each at its own path; a connection answered without its body
//! read stays open.

use http::{Method, StatusCode};
use rpc_core::{Context, Error, Params, Router};
use rpc_http::{HttpConfig, Server};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{
    call, client, closes_within, full, get, head_end, header_values, raw_request, read_response,
    request, send, start, test_router, WAIT,
};

#[tokio::test]
async fn other_http_methods_get_405_with_allow_and_unknown_paths_404() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .without_cors()
            .mount("/api", test_router()),
    )
    .await;
    let client = client();
    for (method, path) in [
        (Method::PUT, "/api"),
        (Method::DELETE, "/api/"),
        (Method::GET, "/api"),
        (Method::HEAD, "/api"),
    ] {
        let reply = send(
            &client,
            request(method.clone(), addr, path).body(full("")).unwrap(),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            reply.header("allow"),
            Some("POST, OPTIONS"),
            "{method} {path}"
        );
        if method != Method::HEAD {
            assert_eq!(reply.json()["error"]["code"], -32600);
        }
    }
    let reply = send(
        &client,
        request(Method::OPTIONS, addr, "/api")
            .body(full(""))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));

    for path in ["/", "/other", "/api/ping", "/apix"] {
        let reply = call(addr, path, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.json()["error"]["code"], -32600, "{path}");
    }
}

#[tokio::test]
async fn allow_names_get_where_the_get_fallback_answers() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .without_cors()
            .config(HttpConfig::new().with_get_fallback(true))
            .mount("/api", test_router()),
    )
    .await;
    // The endpoint takes POST; a method's path takes GET.
    for (method, path, status, allow) in [
        (
            Method::PUT,
            "/api",
            StatusCode::METHOD_NOT_ALLOWED,
            "POST, OPTIONS",
        ),
        (
            Method::OPTIONS,
            "/api",
            StatusCode::NO_CONTENT,
            "POST, OPTIONS",
        ),
        (
            Method::PUT,
            "/api/ping",
            StatusCode::METHOD_NOT_ALLOWED,
            "GET, OPTIONS",
        ),
        (
            Method::POST,
            "/api/ping",
            StatusCode::METHOD_NOT_ALLOWED,
            "GET, OPTIONS",
        ),
        (
            Method::OPTIONS,
            "/api/ping",
            StatusCode::NO_CONTENT,
            "GET, OPTIONS",
        ),
    ] {
        let reply = send(
            &client(),
            request(method.clone(), addr, path).body(full("")).unwrap(),
        )
        .await;
        assert_eq!(reply.status, status, "{method} {path}");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }

    // GET on the endpoint itself names no method: told so, not "no endpoint".
    let reply = get(addr, "/api").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"]["data"]
        .as_str()
        .unwrap()
        .contains("method name"));
    assert_eq!(
        get(addr, "/elsewhere/ping").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn several_routers_answer_at_their_own_paths() {
    let named = |name: &'static str| {
        let mut router = Router::new();
        router
            .method("who", move |_: Params<'_>, _: &Context| {
                Ok::<_, Error>(name)
            })
            .unwrap();
        router
    };
    let mut admin = named("admin");
    admin
        .method("shutdown_all", |_: Params<'_>, _: &Context| {
            Ok::<_, Error>(true)
        })
        .unwrap();
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .mount("/api", named("api"))
            .mount("/admin", admin),
    )
    .await;
    let who = r#"{"jsonrpc":"2.0","method":"who","id":1}"#;
    for (path, name) in [
        ("/api", "api"),
        ("/api/", "api"),
        ("/admin", "admin"),
        ("/admin/", "admin"),
    ] {
        let reply = call(addr, path, who).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json()["result"], name, "{path}");
    }
    // Each router has only its own methods.
    let reply = call(
        addr,
        "/api",
        r#"{"jsonrpc":"2.0","method":"shutdown_all","id":1}"#,
    )
    .await;
    assert_eq!(reply.json()["error"]["code"], -32601);
    assert_eq!(call(addr, "/", who).await.status, StatusCode::NOT_FOUND);
}

/// Head and body in two writes, as Python's `http.client` sends them, so
/// that the body is not yet there when the head is answered.
async fn send_in_two_writes(stream: &mut TcpStream, request: &[u8]) {
    let head_end = head_end(request).expect("a head");
    stream.write_all(&request[..head_end]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    stream.write_all(&request[head_end..]).await.unwrap();
}

#[tokio::test]
async fn a_request_answered_before_its_body_is_read_leaves_the_connection_open() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_get_fallback(true))
            .mount("/api", test_router()),
    )
    .await;
    let ping = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    for (refused, status) in [
        (
            raw_request("POST", "/api", &[("Content-Type", "text/plain")], ping),
            415,
        ),
        (raw_request("POST", "/elsewhere", &[], ping), 404),
        (raw_request("PUT", "/api", &[], ping), 405),
        (raw_request("OPTIONS", "/api", &[], ping), 204),
        // The `GET` fallback answers from the query and leaves the body.
        (raw_request("GET", "/api/ping", &[], ping), 200),
    ] {
        send_in_two_writes(&mut stream, &refused).await;
        let (answered, head, _) = read_response(&mut stream).await;
        assert_eq!(answered, status, "{head}");
        assert!(header_values(&head, "connection").is_empty(), "{head}");
        // The same connection serves the next request.
        stream
            .write_all(&raw_request("POST", "/api", &[], ping))
            .await
            .unwrap();
        let (next, _, body) = read_response(&mut stream).await;
        assert_eq!(next, 200, "after the {status}");
        assert!(body.contains("pong"), "{body}");
    }
}

/// A client that waits for `100 Continue` before it sends a body nobody
/// needs is answered at once, and the connection then closes.
#[tokio::test]
async fn a_get_whose_client_awaits_100_continue_is_answered_without_its_body() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_get_fallback(true))
            .mount("/api", test_router()),
    )
    .await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = "GET /api/ping HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{head}");
    assert!(body.contains("pong"), "{body}");
    assert_eq!(header_values(&head, "connection"), ["close"]);
}

#[tokio::test]
async fn a_body_too_large_to_drop_is_answered_with_connection_close() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_max_discarded_body(16))
            .mount("/", test_router()),
    )
    .await;
    let body = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    send_in_two_writes(&mut stream, &raw_request("POST", "/elsewhere", &[], body)).await;
    let (status, head, _) = read_response(&mut stream).await;
    assert_eq!(status, 404);
    assert_eq!(header_values(&head, "connection"), ["close"]);
    assert!(closes_within(&mut stream, WAIT).await);
}
