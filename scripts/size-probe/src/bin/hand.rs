use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::value::RawValue;

#[derive(serde::Deserialize)]
struct Call<'a> {
    #[serde(borrow)]
    method: &'a str,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
}

fn answer(body: &[u8]) -> Vec<u8> {
    let Ok(call) = serde_json::from_slice::<Call>(body) else {
        return br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#
            .to_vec();
    };
    let params = call.params.map_or("[]", RawValue::get);
    let result = match call.method {
        "add" => serde_json::from_str::<(i64, i64)>(params)
            .map(|(a, b)| serde_json::to_string(&a.wrapping_add(b)).unwrap()),
        "echo" => {
            serde_json::from_str::<(String,)>(params).map(|(s,)| serde_json::to_string(&s).unwrap())
        }
        "sum" => serde_json::from_str::<(Vec<f64>,)>(params)
            .map(|(v,)| serde_json::to_string(&v.iter().sum::<f64>()).unwrap()),
        _ => return format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":-32601,"message":"Method not found"}},"id":{}}}"#,
            call.id.map_or("null", RawValue::get)
        )
        .into_bytes(),
    };
    match result {
        Ok(result) => format!(
            r#"{{"jsonrpc":"2.0","result":{result},"id":{}}}"#,
            call.id.map_or("null", RawValue::get)
        )
        .into_bytes(),
        Err(_) => format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":-32602,"message":"Invalid params"}},"id":{}}}"#,
            call.id.map_or("null", RawValue::get)
        )
        .into_bytes(),
    }
}

async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(answer(&body))))
        .unwrap())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "0".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(
                    hyper_util::rt::TokioIo::new(stream),
                    hyper::service::service_fn(handle),
                )
                .await;
        });
    }
}
