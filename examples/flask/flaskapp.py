"""A small Flask application: a page, a form post and an upload. Nothing in it knows about
mod_python."""

import hashlib

from flask import Flask, request

app = Flask(__name__)


@app.route("/")
def home():
    return "<h1>Flask inside Apache</h1><p>through mod_python.wsgi</p>"


@app.route("/add", methods=["POST"])
def add():
    a = int(request.form.get("a", 0))
    b = int(request.form.get("b", 0))
    return {"sum": a + b}


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["file"]
    data = f.read()
    return {"name": f.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
