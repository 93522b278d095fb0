#[rpc_core::rpc]
trait Api {
    fn ping(&self) -> u8;
}

struct S;

#[rpc_core::rpc]
impl Api for S {
    fn ping(&self) -> u8 {
        1
    }
}

fn main() {}
