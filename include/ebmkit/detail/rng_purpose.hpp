// The library's own streams of draws (docs/ARCHITECTURE.md §6), internal: which purpose
// each kernel and reference path keys its draws with. Tests and reference code name
// them to reproduce a draw; the values may change between versions.
#pragma once

#include <cstdint>

namespace ebmkit {

// Which stream of draws; part of the counter so purposes never share a draw.
enum class RngPurpose : std::uint32_t {
    LangevinNoise = 1,
    GibbsHidden = 2,
    GibbsVisible = 3,
    MalaAccept = 4,
    ChainInit = 5,
    ParamInit = 6,
    DataSample = 7,
    Shuffle = 8,
    AisHidden = 9,
    AisVisible = 10,
    ReplaySlot = 11,
    ReplayReinit = 12,
    SampleLabel = 13,
    TemperingHidden = 14,
    TemperingVisible = 15,
    TemperingSwap = 16,
    RaiseHidden = 17,
    RaiseVisible = 18,
    HmcMomentum = 19,
    HmcAccept = 20,
    Bootstrap = 21,
    ScoreLevel = 22,
    ScoreNoise = 23,
    ScoreProjection = 24,
    OodSet = 25,
    InpaintMask = 26,
};

}  // namespace ebmkit
