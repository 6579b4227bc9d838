"""TensorProto ⇄ numpy, as TensorBoard's util/tensor_util.py reads them (FORMATS.md §2)."""

from __future__ import annotations

import numpy as np

from .proto import tensor_pb2

DT = tensor_pb2

# dtype enum -> (numpy dtype of tensor_content, name of the typed repeated field)
_DTYPES: dict[int, tuple[np.dtype, str]] = {
    DT.DT_FLOAT: (np.dtype("<f4"), "float_val"),
    DT.DT_DOUBLE: (np.dtype("<f8"), "double_val"),
    DT.DT_INT32: (np.dtype("<i4"), "int_val"),
    DT.DT_UINT8: (np.dtype("u1"), "int_val"),
    DT.DT_INT16: (np.dtype("<i2"), "int_val"),
    DT.DT_INT8: (np.dtype("i1"), "int_val"),
    DT.DT_UINT16: (np.dtype("<u2"), "int_val"),
    DT.DT_INT64: (np.dtype("<i8"), "int64_val"),
    DT.DT_BOOL: (np.dtype("?"), "bool_val"),
    DT.DT_HALF: (np.dtype("<f2"), "half_val"),
    DT.DT_BFLOAT16: (np.dtype("<u2"), "half_val"),  # raw bits; widened below
    DT.DT_UINT32: (np.dtype("<u4"), "uint32_val"),
    DT.DT_UINT64: (np.dtype("<u8"), "uint64_val"),
}


def _bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


def shape_of(proto: tensor_pb2.TensorProto) -> tuple[int, ...]:
    return tuple(int(d.size) for d in proto.tensor_shape.dim)


def to_numpy(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """The tensor as a numpy array; strings come back as an object array of bytes."""
    shape = shape_of(proto)
    size = int(np.prod(shape)) if shape else 1
    dtype = proto.dtype % 100  # _REF types carry the same data
    if dtype == DT.DT_STRING:
        values = list(proto.string_val)
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return _broadcast(array, shape, size)
    if dtype not in _DTYPES:
        raise ValueError(f"unsupported tensor dtype {dtype}")
    np_dtype, field = _DTYPES[dtype]
    if proto.tensor_content:
        array = np.frombuffer(proto.tensor_content, dtype=np_dtype)
    elif field == "half_val":
        array = np.asarray(proto.half_val, dtype=np.int32).astype(np.uint16)
        array = array.view(np.float16) if dtype == DT.DT_HALF else array
    else:
        array = np.asarray(getattr(proto, field), dtype=np_dtype)
    if dtype == DT.DT_BFLOAT16:
        array = _bfloat16_to_float32(array)
    return _broadcast(array, shape, size)


def _broadcast(array: np.ndarray, shape: tuple[int, ...], size: int) -> np.ndarray:
    # A single typed value stands for every element (tensor_util.py); an empty one for zeros.
    if array.size == size:
        return array.reshape(shape)
    if array.size == 1:
        return np.full(shape, array[0], dtype=array.dtype)
    if array.size == 0:
        return np.zeros(shape, dtype=array.dtype if array.dtype != object else object)
    raise ValueError(f"tensor has {array.size} values for shape {shape}")


def from_numpy(value: np.ndarray | float | int | str | bytes) -> tensor_pb2.TensorProto:
    """A TensorProto as TensorFlow writes it (tensor_content for numbers, string_val for text)."""
    proto = tensor_pb2.TensorProto()
    array = np.asarray(value)
    for dim in array.shape:
        proto.tensor_shape.dim.add(size=dim)
    if array.dtype.kind in "USO":
        proto.dtype = DT.DT_STRING
        for item in array.reshape(-1).tolist():
            proto.string_val.append(item.encode("utf-8") if isinstance(item, str) else bytes(item))
        return proto
    kinds = {"f4": DT.DT_FLOAT, "f8": DT.DT_DOUBLE, "i4": DT.DT_INT32, "i8": DT.DT_INT64,
             "u1": DT.DT_UINT8, "b1": DT.DT_BOOL, "f2": DT.DT_HALF, "i2": DT.DT_INT16, "i1": DT.DT_INT8}
    key = f"{array.dtype.kind}{array.dtype.itemsize}"
    if key not in kinds:
        array, key = array.astype(np.float64), "f8"
    proto.dtype = kinds[key]
    proto.tensor_content = array.astype(array.dtype.newbyteorder("<")).tobytes()
    return proto
