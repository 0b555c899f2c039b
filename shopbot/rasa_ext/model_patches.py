"""Patches to how Rasa loads and runs a model: in our servers, and wherever we evaluate one (nlu_eval).

Installed by shopbot.rasa_ext.apply(); the server's own patches (1-4, 7) are in server_patches.py.
5. Graphs run their nodes in an order worked out once per set of targets, without dask's per-run work (speed).
6. RasaModel._rasa_predict calls DIET's one concrete graph, without tf.function's per-call signature matching (speed).
8. RasaModel.load builds the weights by an eager step, not a traced one that the saved weights then overwrite (speed).
9. DIET's prediction graph is traced without autograph (config-only control flow); Rasa's trace if that fails (speed).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

RASA_ORIGINALS: Dict[Text, Any] = {}  # what apply() replaced, for comparing against in tests


def _node_order(runner, targets: Tuple[Text, ...]) -> List[Text]:
    """The nodes the targets need, each after the nodes it needs (worked out once per runner)."""
    orders = runner.__dict__.setdefault("_shopbot_orders", {})
    if targets not in orders:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        order: List[Text] = []
        placed = set()

        def place(name: Text) -> None:
            if name in placed or name not in schema.nodes:
                return  # placed already, or a run input
            placed.add(name)
            for needed in schema.nodes[name].needs.values():
                place(needed)
            order.append(name)

        for name in schema.nodes:
            place(name)
        orders[targets] = order
    return orders[targets]


def _run_graph_in_order(self, inputs: Optional[Dict[Text, Any]] = None,
                        targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    """DaskGraphRunner.run without dask: each node gets its needs' (name, output) pairs, as dask gave them."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    order = _node_order(self, run_targets)
    values: Dict[Text, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in order:  # Rasa's check, as its runner makes it
            raise GraphRunError(f"Input value '{value}' clashes with a node name.")
        values[name] = (name, value)
    try:
        for name in order:
            needs = self._graph_schema.nodes[name].needs.values()
            # A need that is neither a node nor an input reached dask's nodes as the bare name.
            values[name] = self._instantiated_nodes[name](*(values.get(need, need) for need in needs))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(values[target] for target in run_targets)


def _trace_predict_without_autograph(model, batch_in) -> None:
    """The prediction graph Rasa would trace, traced as plain Python; Rasa's own trace if that fails."""
    import tensorflow as tf

    model._training = False
    if not model.prepared_for_prediction:  # as Rasa's _rasa_predict does before tracing
        model.prepare_for_predict()
        model.prepared_for_prediction = True
    plain = tf.function(model.predict_step, input_signature=model._dynamic_signature(batch_in), autograph=False)
    try:
        plain.get_concrete_function()
    except (TypeError, ValueError, NotImplementedError, tf.errors.OperatorNotAllowedInGraphError):
        return  # the model's code needs autograph: Rasa traces it on this first call
    model._tf_predict_step = plain


def _rasa_predict_with_concrete_graph(self, batch_in):
    """RasaModel._rasa_predict, calling the graph Rasa traced without tf.function's dispatch."""
    concrete = self.__dict__.get("_shopbot_concrete_predict")
    if concrete is None:
        if not self._run_eagerly and self._tf_predict_step is None:
            _trace_predict_without_autograph(self, batch_in)
        outputs = RASA_ORIGINALS["rasa_predict"](self, batch_in)  # its first call, as Rasa makes it
        if not self._run_eagerly and self._tf_predict_step is not None:
            # The signature has a None for every dimension, so this is the only graph there is.
            self.__dict__["_shopbot_concrete_predict"] = self._tf_predict_step.get_concrete_function()
        return outputs
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA

    tensors = [tf.convert_to_tensor(array) for array in tf.nest.flatten(batch_in)]
    outputs = tf_utils.sync_to_numpy_or_python_type(concrete._call_flat(tensors, concrete.captured_inputs))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


def _load_built_eagerly(cls, model_file_name, model_data_example, predict_data_example=None,
                        finetune_mode: bool = False, *args: Any, **kwargs: Any):
    """RasaModel.load with its weight-building training step run eagerly (finetuning: Rasa's own)."""
    if finetune_mode:  # the model trains on: its training graph is wanted anyway
        return RASA_ORIGINALS["model_load"].__func__(cls, model_file_name, model_data_example,
                                                      predict_data_example, finetune_mode, *args, **kwargs)
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True)
    model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
    model.run_eagerly = config.get(RUN_EAGERLY)  # what Rasa compiles it with: predictions are traced
    model.load_weights(model_file_name)
    if predict_data_example:
        model.run_inference(predict_data_example)  # traces the prediction graph now, as Rasa does
    return model


def apply() -> None:
    """Patches 5, 6, 8 and 9. Idempotent."""
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.utils.tensorflow.models import RasaModel

    RASA_ORIGINALS.setdefault("graph_run", DaskGraphRunner.run)
    DaskGraphRunner.run = _run_graph_in_order
    RASA_ORIGINALS.setdefault("rasa_predict", RasaModel._rasa_predict)
    RasaModel._rasa_predict = _rasa_predict_with_concrete_graph
    RASA_ORIGINALS.setdefault("model_load", RasaModel.__dict__["load"])
    RasaModel.load = classmethod(_load_built_eagerly)

