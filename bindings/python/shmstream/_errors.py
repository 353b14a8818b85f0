"""Exceptions named after the Kinesis ones; every one is a subclass of :class:`Error`.

They are created by the extension (so C++ errors map onto them directly) and re-exported here. A few
also derive from the matching builtin: InvalidArgumentException is a ValueError, TimeoutException a
TimeoutError, AccessDeniedException a PermissionError.
"""

from ._native_import import native

Error = native.Error
InvalidArgumentException = native.InvalidArgumentException
ResourceNotFoundException = native.ResourceNotFoundException
ResourceInUseException = native.ResourceInUseException
LimitExceededException = native.LimitExceededException
ExpiredIteratorException = native.ExpiredIteratorException
RecordAbortedException = native.RecordAbortedException
ShardClosedException = native.ShardClosedException
StorageFullException = native.StorageFullException
AccessDeniedException = native.AccessDeniedException
CorruptedDataException = native.CorruptedDataException
IncompatibleLayoutException = native.IncompatibleLayoutException
TimeoutException = native.TimeoutException
InternalFailure = native.InternalFailure
ProvisionedThroughputExceededException = native.ProvisionedThroughputExceededException

# Kinesis names per-record PutRecords failures by these codes; this finds the class for a code.
BY_NAME = {cls.__name__: cls for cls in (
    InvalidArgumentException, ResourceNotFoundException, ResourceInUseException, LimitExceededException,
    ExpiredIteratorException, RecordAbortedException, ShardClosedException, StorageFullException,
    AccessDeniedException, CorruptedDataException, IncompatibleLayoutException, TimeoutException,
    InternalFailure, ProvisionedThroughputExceededException,
)}

__all__ = ["Error", *BY_NAME]
