struct Store<T> {
    items: Vec<T>,
}

#[rpc_core::rpc]
impl<T: Clone + serde::Serialize + Send + Sync + 'static> Store<T> {
    fn all(&self) -> Vec<T> {
        self.items.clone()
    }
}

fn main() {}
