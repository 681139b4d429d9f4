"""Loaders for real data sets from a folder you already have (being written; see the next commit)."""


def ballroom(root, sr=None):
    raise NotImplementedError("mmteach.data.ballroom is being written")


def gtzan(root, sr=None):
    raise NotImplementedError("mmteach.data.gtzan is being written")


def magnatagatune(root, sr=None):
    raise NotImplementedError("mmteach.data.magnatagatune is being written")
