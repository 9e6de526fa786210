"""A Flask application for module/tests/wsgi_frameworks.rs."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/")
def index():
    return "flask index"


@app.route("/hello/<name>")
def hello(name):
    return "hello %s under %s" % (name, request.script_root)


@app.route("/form", methods=["POST"])
def form():
    return "name=%s n=%s" % (request.form["name"], len(request.form.getlist("n")))


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["file"]
    data = f.read()
    return "%s %d %d" % (f.filename, len(data), sum(data) % 65521)
