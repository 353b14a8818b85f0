-- wrk script: PutRecords of 500 x 64 B records to the stream "bench" (bench/http/ceiling.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "Kinesis_20131202.PutRecords"
local records = {}
local data = string.rep("A", 86) .. "=="  -- 64 bytes in base64
for i = 1, 500 do
  records[i] = string.format('{"Data":"%s","PartitionKey":"key-%d"}', data, i)
end
wrk.body = '{"StreamName":"bench","Records":[' .. table.concat(records, ",") .. ']}'
