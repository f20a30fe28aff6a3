"""The functions each chapter's exercise grades, by chapter number: part of the course's interface
(the chapter table of the course design). The exercise tests check that each solution defines and
tests them; the book tests check that no chapter page gives them away."""

GRADED = {
    "01": ["rnn_cell_forward", "rnn_forward"],
    "02": ["softmax", "dense_forward", "sparse_cross_entropy", "sequence_loss"],
    "03": ["build_vocab", "encode", "decode", "one_hot", "shift_pair"],
    "04": ["sliding_windows", "reconstruct", "temperature_softmax"],
    "05": ["stacked_rnn_forward", "time_distributed_dense"],
    "06": ["pad_sequences", "lengths_to_mask", "masked_rnn_forward", "masked_mean"],
    "07": ["bidirectional_forward"],
    "08": ["lstm_cell_forward", "lstm_forward", "gru_cell_forward", "gru_forward"],
    "09": ["rnn_cell_backward", "rnn_backward", "clip_by_global_norm", "numerical_gradient"],
}
GRADED_NAMES = {name for names in GRADED.values() for name in names}
