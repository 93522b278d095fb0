-- Shared by the workload scripts of scripts/load.sh (loaded with dofile).
--
-- post(body) makes wrk POST `body` with Content-Type: application/json.
-- With LOAD_PRINT_BODY set in the environment it prints the body instead
-- and exits, so the script can check that wrk sends what was verified.
--
-- done() prints one machine-readable line after the run:
--   LOAD_RESULT requests=N duration_us=N p50_us=N p99_us=N non2xx=N connect=N read=N write=N timeout=N
-- `non2xx` is wrk's own count of answers with a status of 400 or more
-- (wrk counts them natively, which costs the load tool nothing per response;
-- a Lua response() hook would make wrk parse every answer in Lua).

function post(body)
   wrk.method = "POST"
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
   if os.getenv("LOAD_PRINT_BODY") then
      io.write(body)
      io.flush()
      os.exit(0)
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "LOAD_RESULT requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50.0), latency:percentile(99.0),
      e.status, e.connect, e.read, e.write, e.timeout))
end
