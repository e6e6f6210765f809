/**
 * KurrentDB's v1 gRPC protocol as the client package ships it (generated protobuf classes and
 * grpc-js service definitions). The gRPC test server builds on these so it speaks exactly the
 * wire format the client expects; nothing here is hand-written protobuf.
 */
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import codePb from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/code_pb.js';
import serverFeaturesGrpc from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_grpc_pb.js';
import serverFeaturesPb from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_pb.js';
import sharedPb from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/shared_pb.js';
import statusPb from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/status_pb.js';
import streamsGrpc from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb.js';
import streamsPb from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_pb.js';

export const { Any } = anyPb;
export const { Empty: GoogleEmpty } = emptyPb;
export const { Timestamp } = timestampPb;
export const { Code } = codePb;
export const { ServerFeaturesService } = serverFeaturesGrpc;
export const { SupportedMethods, SupportedMethod } = serverFeaturesPb;
export const { UUID, Empty, StreamIdentifier, AllStreamPosition, WrongExpectedVersion, Timeout, MaximumAppendSizeExceeded, BadRequest } = sharedPb;
export const { Status } = statusPb;
export const { StreamsService } = streamsGrpc;
export const { ReadReq, ReadResp, AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } = streamsPb;

export type ReadReqMessage = InstanceType<typeof ReadReq>;
export type ReadRespMessage = InstanceType<typeof ReadResp>;
export type AppendReqMessage = InstanceType<typeof AppendReq>;
export type AppendRespMessage = InstanceType<typeof AppendResp>;
export type BatchAppendReqMessage = InstanceType<typeof BatchAppendReq>;
export type BatchAppendRespMessage = InstanceType<typeof BatchAppendResp>;
export type UUIDMessage = InstanceType<typeof UUID>;
export type StatusMessage = InstanceType<typeof Status>;
