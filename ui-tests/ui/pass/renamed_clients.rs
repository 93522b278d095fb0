//! Two services in one module with renamed clients get distinct batch types.

mod v1 {
    pub struct Api;
}
mod v2 {
    pub struct Api;
}

#[rpc_core::rpc(client = "V1Client")]
impl v1::Api {
    fn version(&self) -> u8 {
        1
    }
}

#[rpc_core::rpc(client = "V2Client")]
impl v2::Api {
    fn version(&self) -> u8 {
        2
    }
}

fn main() {
    let _ = (V1Client::METHODS, V2Client::METHODS);
    let _: Option<V1Batch<'_, rpc_core::client::InProcess>> = None;
    let _: Option<V2Batch<'_, rpc_core::client::InProcess>> = None;
}
