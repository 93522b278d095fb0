//! The client core: transports, calls, notifications and batches.

mod error;
mod in_process;

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::protocol::Response;

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
        self.next_id.fetch_add(1, Ordering::Relaxed)
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
        Batch {
            client: self,
            message: Vec::with_capacity(256),
            ids: Vec::new(),
            entries: 0,
        }
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

/// A batch being built; sent with [`send`](Self::send).
///
/// Each request gives back a typed [`BatchEntry`] that reads its own result
/// from the [`BatchResponse`], whatever order the server answered in.
pub struct Batch<'c, T> {
    client: &'c Client<T>,
    message: Vec<u8>,
    ids: Vec<u64>,
    entries: usize,
}

impl<T> fmt::Debug for Batch<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("entries", &self.entries)
            .field("requests", &self.ids.len())
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Batch<'_, T> {
    fn separator(&mut self) {
        self.message
            .push(if self.entries == 0 { b'[' } else { b',' });
    }

    /// Adds a call whose result will decode into `R`.
    pub fn request<R: DeserializeOwned>(
        &mut self,
        method: &str,
        params: impl Serialize,
    ) -> Result<BatchEntry<R>, ClientError> {
        let id = self.client.next_id();
        let mark = self.message.len();
        self.separator();
        encode_into(&mut self.message, method, &params, Some(id))
            .inspect_err(|_| self.message.truncate(mark))?;
        self.entries += 1;
        self.ids.push(id);
        Ok(BatchEntry {
            index: self.ids.len() - 1,
            id,
            nonce: self.client.nonce,
            marker: PhantomData,
        })
    }

    /// Adds a notification.
    pub fn notify(&mut self, method: &str, params: impl Serialize) -> Result<(), ClientError> {
        let mark = self.message.len();
        self.separator();
        encode_into(&mut self.message, method, &params, None)
            .inspect_err(|_| self.message.truncate(mark))?;
        self.entries += 1;
        Ok(())
    }

    /// How many entries (requests and notifications) the batch holds.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether nothing was added yet.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Sends the batch. A batch of only notifications does not wait for an
    /// answer; an empty batch is refused here, as a server would refuse it.
    pub async fn send(mut self) -> Result<BatchResponse, ClientError> {
        if self.entries == 0 {
            return Err(ClientError::empty_batch());
        }
        self.message.push(b']');
        let transport = &self.client.transport;
        if self.ids.is_empty() {
            transport
                .notify(self.message)
                .await
                .map_err(ClientError::transport)?;
            return Ok(BatchResponse {
                nonce: self.client.nonce,
                ids: Vec::new(),
                results: Vec::new(),
            });
        }
        let body = transport
            .send(self.message)
            .await
            .map_err(ClientError::transport)?;
        BatchResponse::decode(&body, self.ids, self.client.nonce)
    }
}

/// A handle on one request of a batch, typed by its result.
#[derive(Debug)]
pub struct BatchEntry<R> {
    index: usize,
    id: u64,
    nonce: u64,
    marker: PhantomData<fn() -> R>,
}

/// The answers to a batch, read through the [`BatchEntry`] handles.
#[derive(Debug)]
pub struct BatchResponse {
    nonce: u64,
    ids: Vec<u64>,
    results: Vec<Result<Box<RawValue>, ClientError>>,
}

impl BatchResponse {
    fn decode(body: &[u8], ids: Vec<u64>, nonce: u64) -> Result<Self, ClientError> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        let responses: Vec<Response<'_>> = if first == Some(&b'{') {
            // One error for the whole batch (unparseable, too large): every
            // entry gets it. Such an error has a `null` id; one with an id
            // answers a single request, not the batch.
            let response: Response<'_> =
                serde_json::from_slice(body).map_err(ClientError::invalid_response)?;
            match response.payload {
                Err(_) if !response.id.is_null() => {
                    return Err(ClientError::invalid_response(format!(
                        "a batch was answered with a single response for id {}",
                        response.id
                    )))
                }
                Err(error) => {
                    let results = ids
                        .iter()
                        .map(|_| Err(ClientError::call(error.clone())))
                        .collect();
                    return Ok(Self {
                        nonce,
                        ids,
                        results,
                    });
                }
                Ok(_) => {
                    return Err(ClientError::invalid_response(
                        "a batch was answered with a single result",
                    ))
                }
            }
        } else {
            serde_json::from_slice(body).map_err(ClientError::invalid_response)?
        };
        let mut results: Vec<Option<Result<Box<RawValue>, ClientError>>> =
            ids.iter().map(|_| None).collect();
        let mut unattributed: Option<Error> = None;
        for response in responses {
            let slot = response
                .id
                .as_u64()
                .and_then(|id| ids.iter().position(|&mine| mine == id));
            match (slot, response.payload) {
                (Some(index), payload) => {
                    if results[index].is_some() {
                        return Err(ClientError::invalid_response(format!(
                            "the batch answer holds id {} twice",
                            response.id
                        )));
                    }
                    results[index] =
                        Some(payload.map(ToOwned::to_owned).map_err(ClientError::call));
                }
                (None, Err(error)) if response.id.is_null() => {
                    unattributed.get_or_insert(error);
                }
                (None, _) => {
                    return Err(ClientError::invalid_response(format!(
                        "the batch answer holds id {}, which was not sent",
                        response.id
                    )))
                }
            }
        }
        let results = results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(match &unattributed {
                        Some(error) => ClientError::call(error.clone()),
                        None => ClientError::invalid_response(
                            "the batch answer has no response for this request",
                        ),
                    })
                })
            })
            .collect();
        Ok(Self {
            nonce,
            ids,
            results,
        })
    }

    /// The result of one request of the batch.
    pub fn get<R: DeserializeOwned>(&self, entry: &BatchEntry<R>) -> Result<R, ClientError> {
        if entry.nonce != self.nonce || self.ids.get(entry.index) != Some(&entry.id) {
            return Err(ClientError::invalid_response(
                "this entry belongs to another batch",
            ));
        }
        match &self.results[entry.index] {
            Ok(raw) => serde_json::from_str(raw.get()).map_err(ClientError::decode),
            Err(err) => Err(err.clone()),
        }
    }

    /// How many requests (not notifications) were answered.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// Whether the batch held no requests.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
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

    #[test]
    fn batch_answers_are_matched_by_id_in_any_order() {
        let response = BatchResponse::decode(
            br#"[{"jsonrpc":"2.0","result":"b","id":2},{"jsonrpc":"2.0","result":"a","id":1}]"#,
            vec![1, 2],
            7,
        )
        .unwrap();
        assert_eq!(response.get(&entry::<String>(0, 1, 7)).unwrap(), "a");
        assert_eq!(response.get(&entry::<String>(1, 2, 7)).unwrap(), "b");
        assert!(response
            .get(&entry::<String>(0, 9, 7))
            .unwrap_err()
            .is_invalid_response());
        assert!(
            response
                .get(&entry::<String>(0, 1, 8))
                .unwrap_err()
                .is_invalid_response(),
            "an entry of another client's batch"
        );
    }

    #[test]
    fn a_whole_batch_error_reaches_every_entry() {
        let response = BatchResponse::decode(
            br#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}"#,
            vec![1, 2],
            7,
        )
        .unwrap();
        let err = response.get(&entry::<u8>(1, 2, 7)).unwrap_err();
        assert_eq!(err.code().unwrap().code(), -32600);
        // An error with an id answers one request: not an answer to the batch.
        let for_one = br#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"only for 1"},"id":1}"#;
        assert!(BatchResponse::decode(for_one, vec![1, 2], 7)
            .unwrap_err()
            .is_invalid_response());
    }

    #[test]
    fn missing_duplicate_and_foreign_batch_answers() {
        let response =
            BatchResponse::decode(br#"[{"jsonrpc":"2.0","result":1,"id":1}]"#, vec![1, 2], 7)
                .unwrap();
        assert!(response
            .get(&entry::<u8>(1, 2, 7))
            .unwrap_err()
            .is_invalid_response());
        assert!(
            BatchResponse::decode(br#"[{"jsonrpc":"2.0","result":1,"id":3}]"#, vec![1], 7).is_err()
        );
        let twice = br#"[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","result":2,"id":1}]"#;
        assert!(BatchResponse::decode(twice, vec![1], 7)
            .unwrap_err()
            .is_invalid_response());
    }

    fn entry<R>(index: usize, id: u64, nonce: u64) -> BatchEntry<R> {
        BatchEntry {
            index,
            id,
            nonce,
            marker: PhantomData,
        }
    }
}
