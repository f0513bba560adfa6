-- wrk script for bench/join-storm: every request is a join by the next of the pre-made shopper
-- tokens (one per line in the file given after `--`); statuses of the first N answers are counted.
local tokens, next_token, answered = {}, 0, 0
-- Global: the main script reads it from the thread when the run is done.
counts = {}
local path, body = os.getenv("STORM_PATH"), os.getenv("STORM_BODY")

function init(args)
    for line in io.lines(args[1]) do
        tokens[#tokens + 1] = line
    end
end

function request()
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
    if answered >= #tokens then
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
    io.write(string.format("STORM %d %.3f %.2f %.2f %s\n", summary.requests, summary.duration / 1e6,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, line))
end
