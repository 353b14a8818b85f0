-- wrk script: PutRecord of one 64 B record to the stream "bench" (bench/http/ceiling.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "Kinesis_20131202.PutRecord"
wrk.body = '{"StreamName":"bench","PartitionKey":"k","Data":"' .. string.rep("A", 86) .. '=="}'
