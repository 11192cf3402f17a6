/* Matching games: drag each label onto its answer, or, with the keyboard (or a tap),
   choose a label, then the answer it goes with.

   Progressive enhancement only. Without this file the game is a list (select) per label,
   and those lists stay here too: the board and the lists change together, and the form
   sends the lists as before. The texts come from the form's data-dnd-* attributes (they
   are translated by the page); nothing here is inline, so the CSP stays strict. */
(function () {
  "use strict";

  function format(template, label, answer) {
    return template.replace("{label}", label).replace("{answer}", answer || "");
  }

  function setUp(form) {
    var texts = form.dataset;
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[name^='m']"));
    if (!selects.length) {
      return;
    }
    var targets = Array.prototype.filter.call(selects[0].options, function (option) {
      return option.value !== "";
    });

    var board = document.createElement("div");
    board.className = "dnd-board";
    var status = document.createElement("p");
    status.className = "dnd-status";
    status.setAttribute("role", "status");
    var picked = null;
    var zones = {};
    var chips = [];

    function say(message) {
      status.textContent = message;
    }

    function makeZone(value, title, dropText) {
      var zone = document.createElement("div");
      zone.className = "dnd-zone" + (value === "" ? " dnd-zone--pool" : "");
      zone.dataset.value = value;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "dnd-zone__drop";
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = dropText + " ";
      button.appendChild(hidden);
      button.appendChild(document.createTextNode(title));
      var list = document.createElement("ul");
      list.className = "dnd-zone__items";
      zone.appendChild(button);
      zone.appendChild(list);
      button.addEventListener("click", function () {
        if (picked === null) {
          say(texts.dndPickFirst);
          return;
        }
        place(picked, value, true);
      });
      zone.addEventListener("dragover", function (event) {
        event.preventDefault();
        zone.classList.add("dnd-zone--over");
      });
      zone.addEventListener("dragleave", function () {
        zone.classList.remove("dnd-zone--over");
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        zone.classList.remove("dnd-zone--over");
        var index = parseInt(event.dataTransfer.getData("text/plain"), 10);
        if (!isNaN(index) && chips[index]) {
          place(chips[index], value, true);
        }
      });
      zones[value] = { element: zone, list: list, title: title };
      board.appendChild(zone);
      return zone;
    }

    function unpick() {
      if (picked !== null) {
        picked.button.setAttribute("aria-pressed", "false");
        picked.button.classList.remove("dnd-chip--picked");
        picked = null;
      }
    }

    function place(chip, value, announce) {
      var zone = zones[value] || zones[""];
      zone.list.appendChild(chip.item);
      if (chip.select.value !== value) {
        chip.select.value = value;
        chip.select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      unpick();
      if (announce) {
        say(format(value === "" ? texts.dndBack : texts.dndPlaced, chip.label, zone.title));
        chip.button.focus();
      }
    }

    makeZone("", texts.dndPool, texts.dndBackButton);
    targets.forEach(function (option) {
      makeZone(option.value, option.text, texts.dndDrop);
    });

    selects.forEach(function (select, index) {
      var label = form.querySelector("label[for='" + select.id + "']");
      var text = label ? label.textContent.trim() : select.name;
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "dnd-chip";
      button.draggable = true;
      button.setAttribute("aria-pressed", "false");
      button.textContent = text;
      item.appendChild(button);
      var chip = { item: item, button: button, select: select, label: text };
      chips.push(chip);
      button.addEventListener("click", function () {
        if (picked === chip) {
          unpick();
          return;
        }
        unpick();
        picked = chip;
        button.setAttribute("aria-pressed", "true");
        button.classList.add("dnd-chip--picked");
        say(format(texts.dndPicked, text));
      });
      button.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", String(index));
        event.dataTransfer.effectAllowed = "move";
      });
      select.addEventListener("change", function () {
        if (chip.item.parentNode !== (zones[select.value] || zones[""]).list) {
          place(chip, select.value, false);
        }
      });
      place(chip, select.value, false);
    });

    var hint = form.parentNode.querySelector(".game-dnd-hint");
    if (hint) {
      hint.hidden = false;
    }
    board.appendChild(status);
    var first = selects[0];
    while (first.parentNode !== form) {
      first = first.parentNode;
    }
    form.insertBefore(board, first);
    form.classList.add("game-form--dnd");
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.game-form--matching"), setUp);
  });
})();
