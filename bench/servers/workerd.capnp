# workerd config for the hello-world comparison. The harness overrides the
# listening address with `--socket-addr http=127.0.0.1:PORT`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .helloWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const helloWorker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "workerd_hello.js")],
  compatibilityDate = "2024-09-23",
);
