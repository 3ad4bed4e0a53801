#pragma once
// Every progress format the core reports from the jobs Studio runs (profile, calibration,
// evaluation, LongEval generation). Studio lists the same literals for its translators; its
// test checks the two lists are equal, so a format added here without a translation fails there.
namespace moa::progress_format {

inline constexpr const char kLoadingModel[] = "loading %1";
inline constexpr const char kProfileForward[] = "length %1, sample %2/%3: forward layer %4";
inline constexpr const char kProfileBackward[] = "length %1, sample %2/%3: backward layer %4";
inline constexpr const char kProfileWriting[] = "length %1, sample %2/%3: writing %4";
inline constexpr const char kProfileSampleDone[] = "length %1, sample %2/%3 done, answer loss %4";
inline constexpr const char kCalibRecord[] = "length %1: record %2/%3";
inline constexpr const char kCalibModelAnswers[] = "length %1: the model answers record %2";
inline constexpr const char kDone[] = "done";
inline constexpr const char kEvalPromptCorrect[] = "%1: prompt %2/%3 (%4 tokens) correct";
inline constexpr const char kEvalPromptWrong[] = "%1: prompt %2/%3 (%4 tokens) wrong";
inline constexpr const char kEvalPerplexity[] = "%1: perplexity record %2/%3";
inline constexpr const char kLongEvalGenerated[] = "generated %1/%2";

inline constexpr const char* kAll[] = {kLoadingModel,      kProfileForward,    kProfileBackward,   kProfileWriting,
                                       kProfileSampleDone, kCalibRecord,       kCalibModelAnswers, kDone,
                                       kEvalPromptCorrect, kEvalPromptWrong,   kEvalPerplexity,    kLongEvalGenerated};

}  // namespace moa::progress_format
