-- wrk script for bench/bulk-flow: every request is a purchase by the next line of the file given
-- after `--` ("group purchaser_id token"); statuses of the first N answers are counted.
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

local lines, next_line, answered = {}, 0, 0
counts, started, finished, total = {}, nil, nil, 0
local tail = ', "payment_method": {"type": "card", "token": "4242424242424242"}, '
    .. '"ship_to": {"name": "B", "line1": "1 Bulk St", "city": "Berlin", "postal_code": "10115", "country": "DE"}}'

function init(args)
    for line in io.lines(args[1]) do
        local group, id, token = line:match("^(%S+) (%S+) (%S+)$")
        lines[#lines + 1] = { group = group, id = id, token = token }
    end
    total = #lines
end

function request()
    started = started or now()
    next_line = next_line + 1
    -- Past the last purchase the lines repeat: a second use of an ID is refused, never counted.
    local l = lines[((next_line - 1) % #lines) + 1]
    return wrk.format("POST", "/v1/groups/" .. l.group .. "/purchases",
        { ["authorization"] = "Bearer " .. l.token, ["content-type"] = "application/json" },
        '{"purchaser_id": "' .. l.id .. '"' .. tail)
end

function response(status)
    answered = answered + 1
    if answered <= #lines then
        counts[status] = (counts[status] or 0) + 1
    end
    if answered == #lines then
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
    io.write(string.format("FLOW %d %.3f %.2f %.2f %s\n", thread:get("total"), elapsed,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, line))
end
