// Philox stream identifiers (counter word 3). Must match Sources/WMCore/RandomStreams.swift.
#define STREAM_W_STRUCT   1u
#define STREAM_W_VALUE    2u
#define STREAM_IN_WEIGHT  3u
#define STREAM_INPUT      4u
#define STREAM_ONEHOT     5u
#define STREAM_INIT       6u
#define STREAM_NOISE      7u
