-- wrk script: GetRecords (Limit 10000) from the iterator in $SHMSTREAM_ITERATOR (bench/http/ceiling.sh): every
-- request reads the same 10 000 records of 64 B, so each response is a full page.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "Kinesis_20131202.GetRecords"
wrk.body = '{"ShardIterator":"' .. os.getenv("SHMSTREAM_ITERATOR") .. '","Limit":10000}'
