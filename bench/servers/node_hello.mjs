/** @module Reference: a Node `http` hello world on PORT (same body and headers as the seeded script). */
import http from "node:http";

const port = Number(process.env.PORT ?? "8000");
http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end("Hello World\n");
}).listen(port, "127.0.0.1");
