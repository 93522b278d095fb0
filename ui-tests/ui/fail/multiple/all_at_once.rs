//! Every mistake is reported in one compile, and the item is still emitted
//! (the call in `main` resolves, so no cascade of "not found" errors).
struct S;

#[rpc_core::rpc(namespcae = "x")]
impl S {
    fn by_value(self) -> u8 {
        1
    }

    #[rpc(blocking)]
    async fn slow(&self) -> u8 {
        2
    }

    #[rpc(name = "rpc.x")]
    fn reserved(&self) -> u8 {
        3
    }
}

fn main() {
    let _ = S.by_value();
}
