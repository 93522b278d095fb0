//! The client core: transports, calls, notifications and batches.

mod batch;
mod error;
mod in_process;

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::protocol::Response;

pub use batch::{Batch, BatchEntry, BatchResponse};
pub use error::ClientError;
pub use in_process::InProcess;

/// Carries encoded messages to a server and brings back its answers.
///
/// A transport moves bytes; the [`Client`] encodes, numbers and matches.
/// Implement it for any channel: HTTP, WebSocket, a pipe, or a
/// [`Router`](crate::Router) in the same process ([`InProcess`]).
pub trait Transport: Send + Sync {
    /// What can go wrong on the way.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Sends a request, or a batch holding at least one request, and returns
    /// the answer's bytes.
    fn send(&self, message: Vec<u8>) -> impl Future<Output = Result<Vec<u8>, Self::Error>> + Send;

    /// Sends a notification, or a batch of only notifications. Resolves once
    /// the message is handed over; it never waits for the method to run.
    fn notify(&self, message: Vec<u8>) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The sequence every client on this transport takes its ids from, when
    /// they must be unique across clients (a connection that many clients
    /// share matches answers by id). `None`, the default, lets each client
    /// count from 1.
    fn shared_ids(&self) -> Option<&AtomicU64> {
        None
    }

    /// The connection this transport keeps to the server, for what needs
    /// one (typed subscriptions); `None`, the default, for transports that
    /// carry one answer per request.
    fn peer(&self) -> Option<&crate::connection::Peer> {
        None
    }
}

/// A JSON-RPC client over any [`Transport`].
///
/// Parameters are anything `Serialize`: a tuple is sent positionally
/// (`(1, 2)` → `[1, 2]`), a struct or map by name, `()` sends no params.
///
/// ```
/// use rpc_core::client::{Client, InProcess};
/// use rpc_core::{Context, Error, Params, Router};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut router = Router::new();
/// router.method("add", |params: Params<'_>, _: &Context| {
///     let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
///     Ok::<_, Error>(a + b)
/// }).unwrap();
///
/// let client = Client::new(InProcess::new(router));
/// let sum: i64 = client.request("add", (1, 2)).await.unwrap();
/// assert_eq!(sum, 3);
///
/// let err = client.request::<i64>("add", (1, "x")).await.unwrap_err();
/// assert_eq!(err.call_error().unwrap().code().code(), -32602);
/// # });
/// ```
pub struct Client<T> {
    transport: T,
    next_id: Arc<AtomicU64>,
    /// Tells this client's batch entries from another's (whose ids also start at 1).
    nonce: u64,
}

/// Source of [`Client`] nonces.
static NEXT_NONCE: AtomicU64 = AtomicU64::new(1);

impl<T: Clone> Clone for Client<T> {
    /// A client on a clone of the transport that shares the id sequence.
    fn clone(&self) -> Self {
        Self {
            transport: self.transport.clone(),
            next_id: Arc::clone(&self.next_id),
            nonce: self.nonce,
        }
    }
}

impl<T> fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("next_id", &self.next_id.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Client<T> {
    /// A client on `transport`; ids count up from 1.
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            next_id: Arc::new(AtomicU64::new(1)),
            nonce: NEXT_NONCE.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    fn next_id(&self) -> u64 {
        self.transport
            .shared_ids()
            .unwrap_or(&self.next_id)
            .fetch_add(1, Ordering::Relaxed)
    }

    /// Calls `method` and decodes its result into `R`.
    ///
    /// The params are encoded before the future is returned, so they need not
    /// be `Send`.
    pub fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl Serialize,
    ) -> impl Future<Output = Result<R, ClientError>> + Send + '_ {
        let prepared = self.prepare_request(method, params);
        // An async block, not a call to `send_request`: a call would return an
        // opaque type, which must outlive `'_` with `R` and so would need `R: '_`.
        async move {
            let body = self
                .transport
                .send(prepared.message?)
                .await
                .map_err(ClientError::transport)?;
            decode_single(&body, prepared.id)
        }
    }

    /// Sends `method` as a notification: no id, no answer, no waiting for it to run.
    pub fn notify(
        &self,
        method: &str,
        params: impl Serialize,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + '_ {
        self.send_notification(self.prepare_notification(method, params))
    }

    /// Encodes and numbers a call. With [`send_request`](Self::send_request),
    /// this splits [`request`](Self::request) so that the future's type does
    /// not mention the params' type (and so borrows none of them); generated
    /// clients use it.
    #[doc(hidden)]
    pub fn prepare_request(&self, method: &str, params: impl Serialize) -> Prepared {
        let id = self.next_id();
        Prepared {
            message: encode(method, &params, Some(id)),
            id,
        }
    }

    /// Encodes a notification; see [`prepare_request`](Self::prepare_request).
    #[doc(hidden)]
    pub fn prepare_notification(&self, method: &str, params: impl Serialize) -> Prepared {
        Prepared {
            message: encode(method, &params, None),
            id: 0,
        }
    }

    /// Sends a prepared call and decodes its result.
    #[doc(hidden)]
    pub async fn send_request<R: DeserializeOwned>(
        &self,
        prepared: Prepared,
    ) -> Result<R, ClientError> {
        let body = self
            .transport
            .send(prepared.message?)
            .await
            .map_err(ClientError::transport)?;
        decode_single(&body, prepared.id)
    }

    /// Sends a prepared notification.
    #[doc(hidden)]
    pub async fn send_notification(&self, prepared: Prepared) -> Result<(), ClientError> {
        self.transport
            .notify(prepared.message?)
            .await
            .map_err(ClientError::transport)
    }

    /// Starts a batch.
    ///
    /// ```
    /// use rpc_core::client::{Client, InProcess};
    /// use rpc_core::{Context, Error, Params, Router};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut router = Router::new();
    /// router.method("double", |params: Params<'_>, _: &Context| {
    ///     let (n,): (i64,) = params.decode(&["n"])?;
    ///     Ok::<_, Error>(n * 2)
    /// }).unwrap();
    /// let client = Client::new(InProcess::new(router));
    ///
    /// let mut batch = client.batch();
    /// let two = batch.request::<i64>("double", (1,)).unwrap();
    /// let missing = batch.request::<i64>("nope", ()).unwrap();
    /// batch.notify("double", (5,)).unwrap();
    /// let answers = batch.send().await.unwrap();
    /// assert_eq!(answers.get(&two).unwrap(), 2);
    /// assert_eq!(answers.get(&missing).unwrap_err().code().unwrap().code(), -32601);
    /// # });
    /// ```
    pub fn batch(&self) -> Batch<'_, T> {
        Batch::new(self)
    }
}

/// A call encoded and numbered, ready to send.
#[doc(hidden)]
#[derive(Debug)]
pub struct Prepared {
    message: Result<Vec<u8>, ClientError>,
    id: u64,
}

/// Encodes one request (with an id) or notification (without).
fn encode(method: &str, params: &impl Serialize, id: Option<u64>) -> Result<Vec<u8>, ClientError> {
    let mut message = Vec::with_capacity(64 + method.len());
    encode_into(&mut message, method, params, id)?;
    Ok(message)
}

fn encode_into(
    message: &mut Vec<u8>,
    method: &str,
    params: &impl Serialize,
    id: Option<u64>,
) -> Result<(), ClientError> {
    let start = message.len();
    let result = (|| {
        message.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
        serde_json::to_writer(&mut *message, method).map_err(ClientError::encode)?;
        let before_params = message.len();
        message.extend_from_slice(br#","params":"#);
        let params_start = message.len();
        serde_json::to_writer(&mut *message, params).map_err(ClientError::encode)?;
        match message[params_start..].first() {
            Some(b'[' | b'{') => {}
            _ if &message[params_start..] == b"null" => message.truncate(before_params),
            _ => return Err(ClientError::scalar_params()),
        }
        if let Some(id) = id {
            write!(message, r#","id":{id}"#).expect("writing to a Vec cannot fail");
        }
        message.push(b'}');
        Ok(())
    })();
    if result.is_err() {
        message.truncate(start);
    }
    result
}

fn decode_single<R: DeserializeOwned>(body: &[u8], id: u64) -> Result<R, ClientError> {
    let response: Response<'_> =
        serde_json::from_slice(body).map_err(ClientError::invalid_response)?;
    match response.payload {
        Ok(result) if response.id.as_u64() == Some(id) => {
            serde_json::from_str(result.get()).map_err(ClientError::decode)
        }
        // A server that could not read the request answers with a `null` id.
        Err(error) if response.id.as_u64() == Some(id) || response.id.is_null() => {
            Err(ClientError::call(error))
        }
        _ => Err(ClientError::invalid_response(format!(
            "the answer is for id {}, not {id}",
            response.id
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(method: &str, params: impl Serialize, id: Option<u64>) -> String {
        String::from_utf8(encode(method, &params, id).unwrap()).unwrap()
    }

    #[test]
    fn encodes_positional_named_and_absent_params() {
        assert_eq!(
            text("add", (1, 2), Some(7)),
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":7}"#
        );
        let mut named = std::collections::BTreeMap::new();
        named.insert("a", 1);
        assert_eq!(
            text("add", named, None),
            r#"{"jsonrpc":"2.0","method":"add","params":{"a":1}}"#
        );
        assert_eq!(
            text("m\"x", (), Some(1)),
            r#"{"jsonrpc":"2.0","method":"m\"x","id":1}"#
        );
    }

    #[test]
    fn scalar_params_are_refused_before_sending() {
        let err = encode("m", &5, Some(1)).unwrap_err();
        assert!(err.is_encode());
    }

    #[test]
    fn single_answers_must_match_the_id() {
        assert_eq!(
            decode_single::<i32>(br#"{"jsonrpc":"2.0","result":3,"id":4}"#, 4).unwrap(),
            3
        );
        assert!(
            decode_single::<i32>(br#"{"jsonrpc":"2.0","result":3,"id":5}"#, 4)
                .unwrap_err()
                .is_invalid_response()
        );
        let err = decode_single::<i32>(
            br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#,
            4,
        )
        .unwrap_err();
        assert_eq!(err.code().unwrap().code(), -32700);
        assert!(
            decode_single::<i32>(br#"{"jsonrpc":"2.0","result":"x","id":4}"#, 4)
                .unwrap_err()
                .is_decode()
        );
        assert!(decode_single::<i32>(b"", 4)
            .unwrap_err()
            .is_invalid_response());
    }
}
