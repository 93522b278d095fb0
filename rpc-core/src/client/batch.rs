//! Batches: several calls in one message, each read back through a typed entry.

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;

use super::{encode_into, Client, ClientError, Transport};
use crate::error::Error;
use crate::protocol::Response;

/// One request's answer: its raw result, or why there is none.
type Answer = Result<Box<RawValue>, ClientError>;

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

impl<'c, T: Transport> Batch<'c, T> {
    pub(super) fn new(client: &'c Client<T>) -> Self {
        Self {
            client,
            message: Vec::with_capacity(256),
            ids: Vec::new(),
            entries: 0,
        }
    }

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
    results: Vec<Answer>,
}

impl BatchResponse {
    fn decode(body: &[u8], ids: Vec<u64>, nonce: u64) -> Result<Self, ClientError> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        let results = if first == Some(&b'{') {
            whole_batch_error(body, ids.len())?
        } else {
            let responses: Vec<Response<'_>> =
                serde_json::from_slice(body).map_err(ClientError::invalid_response)?;
            results_by_id(responses, &ids)?
        };
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

/// The answer to a batch that was refused whole (unparseable, too large):
/// one error with a `null` id, which every entry gets. An error with an id
/// answers a single request, not the batch.
fn whole_batch_error(body: &[u8], entries: usize) -> Result<Vec<Answer>, ClientError> {
    let response: Response<'_> =
        serde_json::from_slice(body).map_err(ClientError::invalid_response)?;
    match response.payload {
        Err(error) if response.id.is_null() => {
            Ok(
                std::iter::repeat_with(|| Err(ClientError::call(error.clone())))
                    .take(entries)
                    .collect(),
            )
        }
        Err(_) => Err(ClientError::invalid_response(format!(
            "a batch was answered with a single response for id {}",
            response.id
        ))),
        Ok(_) => Err(ClientError::invalid_response(
            "a batch was answered with a single result",
        )),
    }
}

/// Each request's answer, matched by id. An error with a `null` id (an
/// entry the server could not read) goes to the requests left unanswered.
fn results_by_id(responses: Vec<Response<'_>>, ids: &[u64]) -> Result<Vec<Answer>, ClientError> {
    let mut results: Vec<Option<Answer>> = ids.iter().map(|_| None).collect();
    let mut unattributed: Option<Error> = None;
    for response in responses {
        let slot = response
            .id
            .as_u64()
            .and_then(|id| ids.iter().position(|&mine| mine == id));
        match (slot, response.payload) {
            (Some(index), _) if results[index].is_some() => {
                return Err(ClientError::invalid_response(format!(
                    "the batch answer holds id {} twice",
                    response.id
                )))
            }
            (Some(index), payload) => {
                results[index] = Some(payload.map(ToOwned::to_owned).map_err(ClientError::call));
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
    let missing = || match &unattributed {
        Some(error) => Err(ClientError::call(error.clone())),
        None => Err(ClientError::invalid_response(
            "the batch answer has no response for this request",
        )),
    };
    Ok(results
        .into_iter()
        .map(|result| result.unwrap_or_else(missing))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

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
