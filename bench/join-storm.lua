-- wrk script for bench/join-storm: every request is a join by the next of the pre-made shopper
-- tokens (one per line in the file given after `--`); statuses of the first N answers are counted.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_usec; } timeval;
int gettimeofday(timeval *tv, void *tz);
]])
local function now()
    local tv = ffi.new("timeval")
    ffi.C.gettimeofday(tv, nil)
    return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

local tokens, next_token, answered = {}, 0, 0
-- Globals: the main script reads them from the thread when the run is done (wrk's own duration
-- is the whole -d window, not the time the storm took).
counts, started, finished, total = {}, nil, nil, 0
local path, body = os.getenv("STORM_PATH"), os.getenv("STORM_BODY")

function init(args)
    for line in io.lines(args[1]) do
        tokens[#tokens + 1] = line
    end
    total = #tokens
end

function request()
    started = started or now()
    next_token = next_token + 1
    -- Past the last shopper the tokens repeat: a second join by a shopper is refused, never counted
    -- as accepted, so the accepted count stays exact.
    local token = tokens[((next_token - 1) % #tokens) + 1]
    return wrk.format("POST", path, { ["authorization"] = "Bearer " .. token, ["content-type"] = "application/json" }, body)
end

function response(status)
    answered = answered + 1
    if answered <= #tokens then
        counts[status] = (counts[status] or 0) + 1
    end
    if answered == #tokens then
        finished = now()
        wrk.thread:stop()
    end
end

local thread
function setup(t)
    thread = t
end

function done(summary, latency)
    local counted = thread:get("counts")
    local line = ""
    for status, n in pairs(counted) do
        line = line .. status .. "=" .. n .. " "
    end
    local elapsed = (thread:get("finished") or 0) - (thread:get("started") or 0)
    io.write(string.format("STORM %d %.3f %.2f %.2f %s\n", thread:get("total"), elapsed,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, line))
end
